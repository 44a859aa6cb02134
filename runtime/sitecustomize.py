# slipway's Python startup hook (specs/runtime.md, "Health ports"). `slipway run` embeds this
# file, writes it to ROOT/run/python/sitecustomize.py and puts that directory first on the
# PYTHONPATH of a worker with a health_port, so a stock LiveKit Agents worker needs no code
# change: its health server's bind of the service's declared health_port
# (SLIPWAY_HEALTH_REDIRECT) goes to the instance's own port (SLIPWAY_HEALTH_PORT). Nothing
# else is touched; without both variables this does nothing.


def _slipway_health_port():
    import os

    try:
        fixed = int(os.environ.get("SLIPWAY_HEALTH_REDIRECT", ""), 10)
        mine = int(os.environ.get("SLIPWAY_HEALTH_PORT", ""), 10)
    except ValueError:
        return
    if fixed == mine or not (0 < fixed < 65536 and 0 < mine < 65536):
        return
    import socket

    orig = socket.socket.bind

    # asyncio (aiohttp's web.TCPSite), socketserver and http.server all bind through here.
    def bind(self, address):
        if (self.family in (socket.AF_INET, socket.AF_INET6) and self.type == socket.SOCK_STREAM
                and isinstance(address, tuple) and len(address) >= 2 and address[1] == fixed):
            address = (address[0], mine) + tuple(address[2:])
        return orig(self, address)

    socket.socket.bind = bind


def _slipway_chain():
    # Python imports the first sitecustomize on sys.path only: run the one this file hides
    # (Debian's, a virtualenv's, the application's own).
    import importlib.machinery
    import importlib.util
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


_slipway_health_port()
_slipway_chain()
del _slipway_health_port, _slipway_chain
