"""The local summary: the sentences that carry the deal, in order, with their speakers, bounded."""

from __future__ import annotations

from khaya.ai.extractive import MAX_CHARS, Line, summarise

TALK = [
    Line("Client", "Hi there. The geyser in the roof is leaking onto the bedroom ceiling."),
    Line("Worker", "Thanks for the photos. I can come on Saturday morning."),
    Line("Worker", "Replacing the valve and the drip tray is R1800 all in."),
    Line("Client", "Ok great. Saturday works for me."),
    Line("Worker", "Cool."),
]


def test_it_keeps_the_price_and_the_day_in_the_order_they_were_said():
    text = summarise(TALK)
    assert "R1800" in text and "Saturday" in text
    assert text.index("Saturday morning") < text.index("R1800")
    assert text.startswith(("Client: ", "Worker: ")) and len(text) <= MAX_CHARS


def test_it_is_deterministic_and_bounded_for_long_conversations():
    long = [
        Line("Client" if i % 2 else "Worker", f"Message {i} about the tiles and grout, R{i}00.") for i in range(200)
    ]
    assert summarise(long) == summarise(list(long))
    assert len(summarise(long)) <= MAX_CHARS


def test_nothing_said_is_said_so():
    assert summarise([]) == "No messages yet."
    assert summarise([Line("Client", "Hi")]) == "Client: Hi"
