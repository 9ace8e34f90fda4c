"""The twin's AgentCore Code Interpreter kernel: one persistent CPython 3 process per session.

Protocol with twin/agentcore/session.ts, on this process's original stdin/stdout:
- request: one line of JSON ``{"code": str}``;
- response: one line of JSON ``{"stdout", "stderr", "isError", "exitCode", "executionTime"}``.

Like a Jupyter kernel, each code string runs on the main thread (so SIGALRM time limits work) in
``__main__``'s namespace, so variables persist from one call to the next. ``sys.stdout``/``sys.stderr``
are captured per call; an exception (any BaseException, SystemExit included) is printed as a traceback
to the captured stderr and sets ``isError`` and exit code 1. The code's own writes to file descriptor 1
and its reads of stdin never touch the protocol: fd 1 goes to the kernel log (stderr), stdin is empty.
"""


def _twin_kernel_main():
    import io
    import json
    import os
    import sys
    import time
    import traceback

    import __main__

    proto_in = os.fdopen(os.dup(0), 'r', encoding='utf-8')
    proto_out = os.fdopen(os.dup(1), 'w', encoding='utf-8')
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    namespace = __main__.__dict__
    real_out, real_err = sys.stdout, sys.stderr

    for line in proto_in:
        if not line.strip():
            continue
        code = json.loads(line)['code']
        out, err = io.StringIO(), io.StringIO()
        sys.stdout, sys.stderr = out, err
        is_error = False
        started = time.time()
        try:
            exec(compile(code, '<executeCode>', 'exec'), namespace)
        except BaseException as exc:  # noqa: B036 - the code's failure is its output, never the kernel's
            is_error = True
            # Skip the kernel's own frame: the traceback starts in the submitted code.
            traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next, file=err)
        finally:
            elapsed = time.time() - started
            for stream in (out, err):
                try:
                    stream.flush()
                except Exception:  # noqa: BLE001
                    pass
            sys.stdout, sys.stderr = real_out, real_err
        reply = {'stdout': out.getvalue(), 'stderr': err.getvalue(), 'isError': is_error,
                 'exitCode': 1 if is_error else 0, 'executionTime': round(elapsed, 6)}
        proto_out.write(json.dumps(reply) + '\n')
        proto_out.flush()


_twin_kernel_main()
