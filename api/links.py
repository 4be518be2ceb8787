"""The base URL of the file links a request is handed (`domain.file_urls.FileLinks`).

`ASSETGRAPH_PUBLIC_URL` when set; otherwise the request's own scheme and `Host` (and any ASGI
`root_path`). uvicorn already takes the scheme from `X-Forwarded-Proto` when the proxy is one
it trusts (`--forwarded-allow-ips`, loopback by default); `X-Forwarded-Host` is not read, so
behind a proxy that changes the host, set `ASSETGRAPH_PUBLIC_URL`.
"""

from starlette.requests import HTTPConnection

SOCKET_SCHEMES = {"ws": "http", "wss": "https"}


def base_url(public_url: str | None, connection: HTTPConnection) -> str:
    if public_url is not None:
        return public_url
    url = connection.base_url
    scheme = SOCKET_SCHEMES.get(url.scheme, url.scheme)
    return str(url.replace(scheme=scheme)).rstrip("/")
