"""The main screen's search box: an Input whose keystrokes repaint one line, not the screen.

Textual's Input sets its ``virtual_size`` (a layout reactive) to the text's width on every change,
so each keystroke reflowed and repainted the whole screen, detail pane and all: most of the
20-30 ms of UI-thread work a key cost at 100,000 records (bench/bench_tui.py). The search box has
a fixed size (one line, the screen's width) and no scrollbar, so its virtual width only bounds
the horizontal scroll that keeps the cursor in view; it is set quietly here before Input's own
watcher sets the same value, which then changes nothing.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widgets import Input


class SearchBox(Input):
    """An Input of fixed size whose value changes never reflow the screen."""

    DEFAULT_CSS = """
    SearchBox { width: 1fr; height: 1; }
    """

    def _watch_value(self, value: str) -> None:
        self.set_reactive(Input.virtual_size, Size(self.content_width, 1))
        super()._watch_value(value)
