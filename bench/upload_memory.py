"""Upload memory: server RSS while a 200 MB file streams in, against a 20 MB one (issue 4).

Flat memory means the server's peak RSS is about the same for both sizes.
"""

import json
import os
import tempfile
import threading
import time

import httpx
import psutil

from bench.common import server

DOCUMENT = ('mutation ($file: Upload!) { createAsset(input: {type: "video", name: "Take", '
            "file: $file}) { asset { file { size } } errors { message } } }")


def upload(url: str, token: str, size_mb: int, pid: int) -> tuple[float, float, float]:
    process = psutil.Process(pid)
    with tempfile.NamedTemporaryFile(suffix=".bin") as data:
        block = os.urandom(1024 * 1024)
        for _ in range(size_mb):
            data.write(block)
        data.flush()
        baseline = process.memory_info().rss
        peak = baseline
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, process.memory_info().rss)
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.perf_counter()
        with open(data.name, "rb") as content:
            response = httpx.post(
                f"{url}/graphql", timeout=600,
                headers={"Authorization": f"Bearer {token}", "Apollo-Require-Preflight": "1"},
                data={"operations": json.dumps({"query": DOCUMENT, "variables": {"file": None}}),
                      "map": json.dumps({"0": ["variables.file"]})},
                files={"0": ("take.bin", content, "application/octet-stream")})
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
    body = response.json()
    assert body["data"]["createAsset"]["errors"] == [], body
    assert body["data"]["createAsset"]["asset"]["file"]["size"] == size_mb * 1024 * 1024
    return baseline / 2**20, peak / 2**20, elapsed


def main() -> None:
    with server(ASSETGRAPH_WORKERS="0") as (url, token, pid):
        upload(url, token, 1, pid)  # warm up imports and pools
        print(f"{'upload':>8} {'RSS before MB':>14} {'peak MB':>8} {'growth MB':>10} "
              f"{'seconds':>8} {'MB/s':>6}")
        peaks = {}
        for size in (20, 200):
            before, peak, seconds = upload(url, token, size, pid)
            peaks[size] = peak
            print(f"{size:>6}MB {before:>14.1f} {peak:>8.1f} {peak - before:>10.1f} "
                  f"{seconds:>8.2f} {size / seconds:>6.1f}")
        print(f"peak RSS 200MB / 20MB: {peaks[200] / peaks[20]:.2f} "
              "(1.00 = flat; memory proportional to size would be far above)")


if __name__ == "__main__":
    main()
