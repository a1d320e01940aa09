"""Jailed worker processes: untrusted input (a typed query, an uploaded file) is handled in a
forked process with OS limits, so whatever it does to its worker, the app survives.

A small fork server: one helper process per app process, started with a clean interpreter that
imports the worker modules (duckdb, polars, pyarrow) and never starts a thread. For each task it
forks a worker, which reads its request from a socket the caller handed over, limits itself
(``apply_limits``), runs the task's function and writes its answer (a JSON header and a byte
payload, ``send_answer``) straight back on that socket. The worker never closes the socket
itself: it closes as the worker exits, after its memory is released, so the caller's
end-of-file means the worker is gone (``worker_gone``). Forking the app server itself would copy a multi-threaded process
(unsafe), spawning a fresh interpreter per task costs about 0.5 s, and multiprocessing's own
forkserver re-runs the caller's __main__ (streamlit's CLI) in every worker.

Tasks are named in ``TASKS`` (the SQL page's queries, ``models.engines.adhoc``; ingest's file
reading, ``models.pipeline.ingest``); the worker calls ``<module>.<function>(request, out_socket)``.
"""

from __future__ import annotations

import atexit
import importlib
import io
import json
import os
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from models.core import settings
from models.core.errors import UserError

# task -> (module, function, what the user calls it)
TASKS: dict[str, tuple[str, str, str]] = {
    "sql": ("models.engines.adhoc", "_worker_main", "SQL"),
    "ingest": ("models.pipeline.ingest", "_worker_main", "ingest"),
}

# A request (JSON in UTF-8: at most 4 bytes a character; the SQL page's 100,000-character
# queries the largest) goes over the worker's own stream socket after the fork; the control
# socket only carries that socket.
_REQUEST_MAX_BYTES = 4 * 100_000 + 64 * 1024
_CONTROL_MESSAGE = b"run"
_HEADER = struct.Struct("!Q")
_WORKER_ENV = {"PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "VIRTUAL_ENV"}


@dataclass(frozen=True)
class Limits:
    """OS limits of one worker."""

    address_space_bytes: int   # RLIMIT_AS
    cpu_seconds: int           # RLIMIT_CPU (soft; the hard limit one second later)
    wall_seconds: float        # a kernel-delivered SIGALRM (default action: terminate)
    file_size_bytes: int = 0   # RLIMIT_FSIZE: 0 = no file writes; a write over it fails (EFBIG)


def apply_limits(limits: Limits) -> None:
    """Limit the calling process: address space, CPU seconds, file size, no core dumps, and a
    SIGALRM at the wall-clock limit."""
    signal.setitimer(signal.ITIMER_REAL, limits.wall_seconds)
    resource.setrlimit(resource.RLIMIT_AS, (limits.address_space_bytes,
                                            limits.address_space_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write then fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_bytes, limits.file_size_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def send_answer(out: socket.socket, header: dict, payload: bytes = b"") -> None:
    """In the worker: the answer to the caller, framed for ``receive``."""
    head = json.dumps(header).encode()
    out.sendall(_HEADER.pack(len(head)) + head + _HEADER.pack(len(payload)))
    out.sendall(payload)


def _task_function(task: str):
    module, function, _ = TASKS[task]
    return getattr(importlib.import_module(module), function)


def fork_server_main(fd: int) -> None:
    """The helper process: fork a worker per request received on the socket ``fd``."""
    for task in TASKS:  # imported once here, so that a worker imports nothing
        _task_function(task)
    control = socket.socket(fileno=fd)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the kernel
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1024, 1)
        except OSError:
            break
        if not message:
            break  # the app process is gone
        if len(fds) != 1:
            for extra in fds:
                os.close(extra)
            continue
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                # Not closed here: the socket closes when the worker exits (after its memory is
                # released), so the caller's end-of-file means the worker is gone.
                out = socket.socket(fileno=fds[0])
                request = _read_request(out)
                _task_function(request["task"])(request, out)
            except BaseException:  # noqa: BLE001 - the caller sees a closed socket
                code = 1
            finally:
                os._exit(code)
        os.close(fds[0])
        control.sendall(struct.pack("!q", pid))


class ForkServer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._control: socket.socket | None = None

    def _ensure_running(self) -> socket.socket:
        if self._proc is not None and self._proc.poll() is None and self._control is not None:
            return self._control
        if self._control is not None:
            self._control.close()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # A minimal environment: whatever the app was given (proxy secrets, cloud keys) is not
        # in the workers' memory.
        env = {k: v for k, v in os.environ.items() if k in _WORKER_ENV}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(settings.PROJECT_ROOT), env.get("PYTHONPATH")) if p)
        self._proc = subprocess.Popen(
            [sys.executable, "-c",
             f"from models.core.jail import fork_server_main; fork_server_main({theirs.fileno()})"],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, cwd=settings.PROJECT_ROOT,
            env=env)
        theirs.close()
        self._control = ours
        return ours

    def start_worker(self, request: dict) -> tuple[int, socket.socket]:
        """Fork a worker for ``request`` (its ``task`` names the function); (its pid, the socket
        its answer arrives on)."""
        label = TASKS[request["task"]][2]
        message = json.dumps(request, ensure_ascii=False).encode()
        if len(message) > _REQUEST_MAX_BYTES:  # callers refuse long input before this
            raise ValueError(f"a worker request of {len(message):,} bytes")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with self._lock:
                for attempt in (1, 2):  # a helper that died is started again, once
                    control = self._ensure_running()
                    try:
                        socket.send_fds(control, [_CONTROL_MESSAGE], [theirs.fileno()])
                        reply = control.recv(8)
                        if len(reply) == 8:
                            break
                    except OSError:
                        pass
                    self._stop_locked()
                else:
                    raise UserError(f"The {label} worker could not be started; try again.")
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        try:
            ours.settimeout(30)
            ours.sendall(_HEADER.pack(len(message)) + message)
        except OSError:
            pass  # the worker died at once: the caller receives no answer and says so
        return struct.unpack("!q", reply)[0], ours

    def _stop_locked(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            self._proc = None

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()


fork_server = ForkServer()
atexit.register(fork_server.stop)


def _read_exactly(sock: socket.socket, size: int, deadline: float) -> bytes | None:
    chunks, remaining = [], size
    while remaining:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            chunk = sock.recv(min(remaining, 1 << 20))
        except (TimeoutError, OSError):
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _read_request(sock: socket.socket) -> dict:
    """In the forked worker: the request the caller writes on the worker's socket."""
    sock.settimeout(30)  # the caller writes it at once; a caller that died does not
    raw = _read_exactly(sock, _HEADER.size, time.monotonic() + 30)
    size = _HEADER.unpack(raw)[0] if raw is not None else 0
    if not 0 < size <= _REQUEST_MAX_BYTES:
        raise ValueError("no request")
    message = _read_exactly(sock, size, time.monotonic() + 30)
    if message is None:
        raise ValueError("no request")
    sock.settimeout(None)
    return json.loads(message)


def _read_payload(sock: socket.socket, size: int, deadline: float) -> io.BytesIO | None:
    """``size`` bytes into one buffer (no list of chunks to join: the answer is held once)."""
    buffer = io.BytesIO()
    while buffer.tell() < size:
        chunk = _read_exactly(sock, min(size - buffer.tell(), 1 << 20), deadline)
        if chunk is None:
            return None
        buffer.write(chunk)
    buffer.seek(0)
    return buffer


def receive(sock: socket.socket, deadline: float, max_payload: int
            ) -> tuple[dict, io.BytesIO] | None:
    """The worker's answer (header, payload buffer), or None when it died, ran past the
    deadline or sent more than ``max_payload`` bytes."""
    raw = _read_exactly(sock, _HEADER.size, deadline)
    if raw is None:
        return None
    head = _read_exactly(sock, _HEADER.unpack(raw)[0], deadline)
    raw = _read_exactly(sock, _HEADER.size, deadline) if head is not None else None
    if raw is None:
        return None
    size = _HEADER.unpack(raw)[0]
    if size > max_payload:
        return None
    payload = _read_payload(sock, size, deadline)
    if payload is None:
        return None
    return json.loads(head), payload


def worker_gone(sock: socket.socket, deadline: float) -> bool:
    """Whether the worker exited (its socket reached end-of-file) by ``deadline``."""
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            if not sock.recv(1 << 16):
                return True
        except (TimeoutError, OSError):
            return False
    return False


def kill(pid: int) -> None:
    """End a worker (normally dead already: SIGALRM, RLIMIT_*)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
