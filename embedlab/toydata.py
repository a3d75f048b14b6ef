"""A tiny hand-written set of reviews: three topics, two sentiments.

Used to show that "similar" depends on training: the same reviews can be grouped by what
they are about (topic) or by how the writer felt (sentiment).

>>> reviews = toy_reviews()
>>> reviews[0]
('The pasta was fresh and the sauce was perfect.', 'restaurant', 'positive')
"""

from __future__ import annotations

__all__ = ["toy_reviews"]

_REVIEWS = {
    ("restaurant", "positive"): [
        "The pasta was fresh and the sauce was perfect.",
        "Friendly waiters and the best pizza in town.",
        "We loved every dish, especially the dessert.",
        "Great food at a fair price, we will come back.",
        "The soup was warm, rich and full of flavour.",
        "Lovely dinner, the chef clearly cares about quality.",
        "Fast service and a delicious curry.",
        "The steak was cooked exactly as I asked.",
    ],
    ("restaurant", "negative"): [
        "The pasta was cold and the sauce tasted of nothing.",
        "Rude waiters and a burnt pizza.",
        "Every dish was greasy and we left hungry.",
        "Overpriced food and tiny portions, never again.",
        "The soup was salty and the bread was stale.",
        "We waited an hour for a dry, tasteless burger.",
        "The fish smelled off and the table was dirty.",
        "Slow service and the curry was far too bland.",
    ],
    ("film", "positive"): [
        "A moving story with wonderful acting.",
        "The best film I have seen this year.",
        "Beautiful camera work and a clever plot.",
        "I laughed all the way through this comedy.",
        "The lead actress gives a brilliant performance.",
        "A thrilling ending that kept me on the edge of my seat.",
        "The soundtrack and the visuals are stunning.",
        "A smart, funny script with great characters.",
    ],
    ("film", "negative"): [
        "A dull story with wooden acting.",
        "The worst film I have seen this year.",
        "Ugly camera work and a plot full of holes.",
        "This comedy did not make me laugh once.",
        "The lead actor seems bored in every scene.",
        "The ending was predictable and silly.",
        "Loud music and cheap effects ruin the movie.",
        "A lazy script with characters nobody cares about.",
    ],
    ("hotel", "positive"): [
        "The room was spotless and the bed very comfortable.",
        "Helpful staff and a great view from our balcony.",
        "A quiet hotel close to the beach, highly recommended.",
        "The breakfast buffet was excellent.",
        "Check-in was quick and the reception team was kind.",
        "Spacious rooms and a lovely swimming pool.",
        "We slept well, the room was calm and clean.",
        "Perfect location and very good value.",
    ],
    ("hotel", "negative"): [
        "The room was dirty and the bed was hard.",
        "Unhelpful staff and a view of a car park.",
        "A noisy hotel far from everything, avoid it.",
        "The breakfast was poor and ran out early.",
        "Check-in took an hour and the receptionist was rude.",
        "Cramped rooms and the pool was closed.",
        "We could not sleep because of the noise next door.",
        "Bad location and far too expensive.",
    ],
}


def toy_reviews() -> list[tuple[str, str, str]]:
    """All 48 reviews as (text, topic, sentiment) triples."""
    return [
        (text, topic, sentiment) for (topic, sentiment), texts in _REVIEWS.items() for text in texts
    ]
