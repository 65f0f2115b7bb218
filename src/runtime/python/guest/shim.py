# @module runtime/python/guest/shim
# The Lambda side of a Verge Python interpreter, executed as module `_verge` before the memory
# snapshot is taken (so the standard library edge code uses is already imported in every new
# interpreter). After a restore the runner calls attach() once, then init() with the function's
# handler and environment, then invoke() per event. Everything the host needs comes back as JSON
# text; log lines go out as they are written (so they survive a timeout kill).
import base64
import datetime
import email.message
import hashlib
import hmac
import http.cookies
import importlib
import io
import json
import logging
import os
import random
import re
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import urllib.response
import uuid

_host = {}
_state = {"handler": None, "request_id": "", "deadline": 0.0, "env": (None, None, None, None)}
_LEVELS = {"DEBUG": "debug", "INFO": "info", "WARNING": "warn", "ERROR": "error", "CRITICAL": "error"}


def _log(level, message):
    _host["log"](level, message)


class _Stream(io.TextIOBase):
    """print() target: one log line per written line, like Lambda's stdout capture."""

    def __init__(self, level):
        self._level = level
        self._buf = ""

    def writable(self):
        return True

    def write(self, s):
        self._buf += str(s)
        while "\n" in self._buf:
            line, self._buf = self._buf.split("\n", 1)
            _log(self._level, line)
        return len(s)

    def flush(self):
        if self._buf:
            _log(self._level, self._buf)
            self._buf = ""


class _LambdaHandler(logging.Handler):
    """Lambda installs a root handler; its records carry the request id (aws_request_id)."""

    def emit(self, record):
        try:
            msg = record.getMessage()
            if record.exc_info:
                msg += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
            _log(_LEVELS.get(record.levelname, "log"), msg)
        except Exception:
            self.handleError(record)


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _state["request_id"]
        return True


class LambdaContext:
    """The attributes of Lambda's Python context object (awslambdaric's LambdaContext)."""

    def __init__(self, request_id, arn, stream):
        self.aws_request_id = request_id
        # Read from os.environ once at init, as Lambda's runtime does at bootstrap.
        self.function_name, self.function_version, self.memory_limit_in_mb, self.log_group_name = _state["env"]
        self.invoked_function_arn = arn
        self.log_stream_name = stream
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self):
        return max(0, int(_state["deadline"] - time.time() * 1000))


def _host_urlopen(url, data=None, timeout=None, *args, **kwargs):
    """urllib.request.urlopen, performed by the host (the interpreter has no network)."""
    req = url if isinstance(url, urllib.request.Request) else urllib.request.Request(url, data)
    if data is not None:
        req.data = data
    body = req.data
    if isinstance(body, str):
        body = body.encode()
    if body is not None and not isinstance(body, (bytes, bytearray)):
        raise TypeError("POST data should be bytes")
    headers = dict(req.header_items())
    if body is not None and "Content-type" not in headers:
        headers["Content-type"] = "application/x-www-form-urlencoded"
    call = {
        "op": "fetch",
        "url": req.full_url,
        "method": req.get_method(),
        "headers": headers,
        "body": base64.b64encode(bytes(body)).decode() if body is not None else None,
        "timeoutMs": int(timeout * 1000) if isinstance(timeout, (int, float)) else None,
    }
    answer = json.loads(_host["call"](json.dumps(call)))
    if "error" in answer:
        if answer.get("timeout"):
            raise urllib.error.URLError(TimeoutError("timed out"))
        raise urllib.error.URLError(answer["error"])
    msg = email.message.Message()
    for k, v in answer["headers"]:
        msg[k] = v
    payload = base64.b64decode(answer["body"])
    resp = urllib.response.addinfourl(io.BytesIO(payload), msg, answer["url"], answer["status"])
    resp.reason = answer.get("statusText", "")
    if answer["status"] >= 400:
        raise urllib.error.HTTPError(answer["url"], answer["status"], resp.reason, msg, io.BytesIO(payload))
    return resp


def attach():
    """After a snapshot restore: bind the host calls, route print/logging, patch urlopen."""
    import _verge_host

    _host["call"] = _verge_host.call
    _host["log"] = _verge_host.log
    sys.stdout = _Stream("log")
    sys.stderr = _Stream("error")
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    handler = _LambdaHandler()
    handler.addFilter(_RequestIdFilter())
    root.addHandler(handler)
    # Lambda's Python runtime leaves the root logger at WARNING: logging.info needs setLevel.
    root.setLevel(logging.WARNING)
    urllib.request.urlopen = _host_urlopen
    # Emscripten's system() calls into Node's child_process, which the permission model denies
    # with a fatal JS error; fail the way subprocess does instead (no processes in this sandbox).
    os.system = _no_processes


def _no_processes(*args, **kwargs):
    raise OSError(138, "emscripten does not support processes.")


def warmup():
    """Run the paths a first event takes (import from the FS, json, a handler call) once, so
    WebAssembly's lazy compilation happens while the interpreter is a spare, not on a request."""
    root = "/tmp/_verge_warmup"
    os.makedirs(root, exist_ok=True)
    with open(root + "/_verge_warm.py", "w") as f:
        f.write("def handler(event, context):\n    event['x'] = [{'key': 'X', 'value': '1'}]\n    return event\n")
    sys.path.insert(0, root)
    importlib.invalidate_caches()
    mod = importlib.import_module("_verge_warm")
    sample = json.dumps({"Records": [{"cf": {"request": {"uri": "/", "headers": {"a": [{"key": "A", "value": "b"}]}}}}]})
    for _ in range(3):
        json.dumps(mod.handler(json.loads(sample), None))
    sys.path.remove(root)
    del sys.modules["_verge_warm"]
    importlib.invalidate_caches()


def init(handler, env_json):
    """Import the handler's module from /var/task (Lambda's init phase). Returns JSON text."""
    os.environ.clear()
    os.environ.update(json.loads(env_json))
    env = os.environ
    # A string for the memory size, as in Lambda's Python runtime (AWS_LAMBDA_FUNCTION_MEMORY_SIZE).
    _state["env"] = tuple(env.get(k) for k in ("AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME"))
    if "." not in handler:
        return json.dumps({"error": f"Runtime.MalformedHandlerName: Bad handler '{handler}': not enough values to unpack (expected 2, got 1)"})
    mod_name, fn_name = handler.rsplit(".", 1)
    sys.path.insert(0, "/var/task")
    importlib.invalidate_caches()
    try:
        mod = importlib.import_module(mod_name.replace("/", "."))
    except ImportError as e:
        return _init_failure(f"Runtime.ImportModuleError: Unable to import module '{mod_name}': {e}{_where(e)}")
    except BaseException as e:
        return _init_failure(f"Runtime.UserCodeSyntaxError: {type(e).__name__}: {e}" if isinstance(e, SyntaxError) else f"{type(e).__name__}: {e}{_where(e)}")
    fn = getattr(mod, fn_name, None)
    if fn is None and fn_name == "handler" and callable(getattr(mod, "lambda_handler", None)):
        # The Lambda console's default entry point: a file whose function is lambda_handler runs
        # under the default <file>.handler (no --handler needed).
        fn = mod.lambda_handler
    if not callable(fn):
        return _init_failure(f"Runtime.HandlerNotFound: Handler '{fn_name}' missing on module '{mod_name}'")
    _state["handler"] = fn
    _flush()
    return json.dumps({"ok": True})


def _where(e):
    """` (file.py, line N)` for the innermost frame of the package, so the deploy gate can point at it."""
    found = ""
    tb = e.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.startswith("/var/task/"):
            found = f" ({name[len('/var/task/'):]}, line {tb.tb_lineno})"
        tb = tb.tb_next
    return found


def _init_failure(message):
    _flush()
    return json.dumps({"error": message})


def _flush():
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except Exception:
            pass


def invoke(event_json, request_id, arn, stream, remaining_ms):
    """Run the handler on one event. Returns "R" + the result's JSON, or JSON text {error, kind}."""
    _state["request_id"] = request_id
    _state["deadline"] = time.time() * 1000 + remaining_ms
    try:
        event = json.loads(event_json)
        result = _state["handler"](event, LambdaContext(request_id, arn, stream))
    except MemoryError:
        _flush()
        return json.dumps({"error": "MemoryError", "kind": "oom"})
    except BaseException as e:
        tb = "".join(traceback.format_exception(type(e), e, e.__traceback__)).rstrip()
        _log("error", f"[ERROR] {type(e).__name__}: {e}\n{tb}")
        _flush()
        return json.dumps({"error": f"{type(e).__name__}: {e}", "kind": "error"})
    _flush()
    try:
        # "R" + the result's JSON, sent as is (json.dumps never writes a raw newline): no second
        # encoding of the result on either side.
        return "R" + json.dumps(result)
    except (TypeError, ValueError) as e:
        return json.dumps({"error": f"Runtime.MarshalError: Unable to marshal response: {e}", "kind": "error"})
