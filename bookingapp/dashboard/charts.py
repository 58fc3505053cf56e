"""Bar charts drawn on the server as SVG geometry: the template only places rectangles and
labels, so the page needs no chart library and prints as it shows."""
from __future__ import annotations

from dataclasses import dataclass

WIDTH = 600
BAR_AREA = 150  # the tallest bar, in SVG units
LABEL_ROOM = 18


@dataclass
class Bar:
    label: str
    value: float
    text: str
    x: float
    y: float
    width: float
    height: float


@dataclass
class Chart:
    title: str
    bars: list[Bar]
    width: int = WIDTH
    height: int = BAR_AREA + 2 * LABEL_ROOM

    @property
    def empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def bar_chart(title: str, items: list[tuple[str, float]], fmt=lambda v: f"{v:g}") -> Chart:
    """Vertical bars, one per (label, value), scaled to the largest value."""
    top = max((value for _, value in items), default=0) or 1
    slot = WIDTH / max(len(items), 1)
    bars = []
    for index, (label, value) in enumerate(items):
        height = BAR_AREA * value / top
        bars.append(Bar(label=label, value=value, text=fmt(value), x=index * slot + slot * 0.15,
                        y=LABEL_ROOM + BAR_AREA - height, width=slot * 0.7, height=height))
    return Chart(title=title, bars=bars)
