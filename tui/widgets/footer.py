"""The key bar at the foot of each screen, rebuilt only when the keys it shows change.

Textual's Footer rebuilds all its keys whenever the screen's bindings may have changed, and they
may have whenever the focus moves: tabbing between the record form's fields, or a screen taking
the focus, rebuilt a dozen key widgets each time (each restyled twice as it mounts) to show the
same keys again. Here the keys are rebuilt only when what they would show differs from what they
show: the same bindings, enabled or not, with the same tooltips.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


class SteadyFooter(Footer):
    """A Footer that skips a rebuild which would show exactly what it shows now."""

    shown: Hashable = None
    """What the keys were last built from (``_showing``), None before they were first built."""

    def compose(self) -> ComposeResult:
        # Read when the rebuild runs (Footer defers it), so this is what the keys are built from.
        self.shown = self._showing()
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        if self.shown is not None and self.is_attached and screen is self.screen \
                and self._showing() == self.shown:
            return
        super().bindings_changed(screen)

    def _showing(self) -> Hashable:
        """Everything of the screen's bindings that Footer.compose reads, or None before they are
        ready (the first build, which shows nothing yet, must not count as built)."""
        if not self._bindings_ready:
            return None
        return (self.show_command_palette, self.app.ENABLE_COMMAND_PALETTE,
                tuple((key, binding, enabled, tooltip)
                      for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()))
