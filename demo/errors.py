"""The one error the demo raises for conditions a user can fix (message says how)."""


class DemoError(RuntimeError):
    pass
