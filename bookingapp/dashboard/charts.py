"""Bar charts drawn on the server: SVG for the bars, HTML for every word and number.

The SVG stretches to the width it is given (preserveAspectRatio="none"), so its text would
shrink with it: at a phone's width a 10-unit label in a 600-unit viewBox is 6 pixels tall.
So the SVG holds only shapes, and the labels and values are HTML laid out in the same
columns (CSS grid, one column per bar), in CSS pixels that stay readable at every width.
When there are more bars than labels fit, every n-th label is shown (half as many on a
phone); each bar keeps its full label and value in its tooltip and in the table beside
the chart."""
from __future__ import annotations

from dataclasses import dataclass, field

WIDTH = 600
HEIGHT = 150  # the tallest bar, in SVG units
# At most this many axis labels or values are written under or over the bars.
MAX_LABELS = 8
MAX_VALUES = 12


@dataclass
class Bar:
    label: str
    value: float
    text: str
    x: float
    y: float
    width: float
    height: float
    show_label: bool = True
    # Every other shown label is left out on a phone's width (the CSS hides `minor` ones).
    minor_label: bool = False
    # The same bucket one period earlier, drawn behind the bar (comparison charts only).
    previous: float | None = None
    previous_text: str = ""
    previous_y: float = 0.0
    previous_height: float = 0.0


@dataclass
class Chart:
    title: str
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT
    show_values: bool = True
    # (css class, words) for a chart with more than one series.
    legend: list[tuple[str, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(bar.value or bar.previous for bar in self.bars)

    @property
    def columns(self) -> int:
        return max(len(self.bars), 1)


def _label_step(count: int) -> int:
    return max(1, -(-count // MAX_LABELS))


def bar_chart(title: str, items: list[tuple[str, float]], fmt=lambda v: f"{v:g}") -> Chart:
    """Vertical bars, one per (label, value), scaled to the largest value."""
    return comparison_chart(title, [(label, value, None) for label, value in items], fmt=fmt)


def comparison_chart(title: str, items: list[tuple[str, float, float | None]], fmt=lambda v: f"{v:g}",
                     legend: tuple[str, str] | None = None) -> Chart:
    """Bars per (label, value, previous value): the value in front, the previous period's
    as a paler, wider bar behind it, both on one scale."""
    top = max((max(value, previous or 0) for _, value, previous in items), default=0) or 1
    slot = WIDTH / max(len(items), 1)
    step = _label_step(len(items))
    bars = []
    for index, (label, value, previous) in enumerate(items):
        height = HEIGHT * value / top
        bar = Bar(label=label, value=value, text=fmt(value), x=index * slot + slot * 0.2, y=HEIGHT - height,
                  width=slot * 0.6, height=height, show_label=index % step == 0,
                  minor_label=len(items) > MAX_LABELS and index % (2 * step) != 0)
        if previous is not None:
            bar.previous, bar.previous_text = previous, fmt(previous)
            bar.previous_height = HEIGHT * previous / top
            bar.previous_y = HEIGHT - bar.previous_height
        bars.append(bar)
    chart = Chart(title=title, bars=bars, show_values=len(items) <= MAX_VALUES and not legend)
    if legend:
        chart.legend = [("series-current", legend[0]), ("series-previous", legend[1])]
    return chart
