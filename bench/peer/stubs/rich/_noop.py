"""No-op classes for every name the reference imports from rich (bench only)."""


class _Noop:
    def __init__(self, *a, **k):
        pass

    def __getattr__(self, name):
        return lambda *a, **k: None


Console = Group = Panel = Rule = Style = Table = Text = _Noop
