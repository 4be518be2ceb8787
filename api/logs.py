"""Log lines: one JSON object per line (`ASSETGRAPH_LOG_FORMAT=json`, production's default)
or a human-readable line (`text`, development's default).

Every line has `time`, `level`, `logger` and `message`; a request's line adds the fields of
`api.observe` (`requestId`, `method`, `path`, `operation`, `status`, `outcome`, `durationMs`,
`statements`); a line logged while a request runs carries its `requestId`; an exception adds
`exception`, its traceback.
"""

import json
import logging
import sys
import time
from typing import Any, Literal

from api.observe import current_request

LogFormat = Literal["json", "text"]


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] | None = getattr(record, "fields", None)
    if fields is not None:
        return fields
    request = current_request()
    return {"requestId": request.id} if request is not None else {}


_second: tuple[int, str] = (-1, "")


def _time(created: float) -> str:
    global _second
    whole = int(created)
    if whole != _second[0]:  # one strftime a second, not one a line
        _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{_second[1]}.{int(created % 1 * 1000):03d}Z"


_encode = json.JSONEncoder(default=str).encode


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"time": _time(record.created), "level": record.levelname,
                                "logger": record.name, "message": record.getMessage(),
                                **_fields(record)}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _encode(line)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{key}={value}" for key, value in _fields(record).items())
        line = super().formatMessage(record)
        return f"{line} {fields}" if fields else line


def configure_logging(log_format: LogFormat) -> None:
    """Every logger writes to stderr in `log_format`: ours and uvicorn's from INFO, other
    libraries' (chatty at INFO, the embedded server's in particular) from WARNING."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.WARNING)
    for name in ("assetgraph", "uvicorn"):
        logging.getLogger(name).setLevel(logging.INFO)
