"""Well-known news sources, so a detected name gets its usual form and home page.

The text may say "the New York Times" or "NYT"; the catalogue should say "The New York Times"
every time, or an archivist ends up confirming three spellings of one source.
"""

from __future__ import annotations

import functools
from typing import NamedTuple


class KnownSource(NamedTuple):
    name: str
    url: str
    aliases: tuple[str, ...] = ()


KNOWN_PUBLICATIONS: tuple[KnownSource, ...] = (
    KnownSource("The New York Times", "https://www.nytimes.com/", ("New York Times", "NYT", "NY Times")),
    KnownSource("Los Angeles Times", "https://www.latimes.com/", ("LA Times", "L.A. Times")),
    KnownSource("The Daily Beast", "https://www.thedailybeast.com/", ("Daily Beast",)),
    KnownSource("The Washington Post", "https://www.washingtonpost.com/", ("Washington Post",)),
    KnownSource("The Wall Street Journal", "https://www.wsj.com/", ("Wall Street Journal", "WSJ")),
    KnownSource("The Guardian", "https://www.theguardian.com/", ("Guardian",)),
    KnownSource("The Times", "https://www.thetimes.co.uk/", ("Times of London",)),
    KnownSource("The Telegraph", "https://www.telegraph.co.uk/", ("Daily Telegraph", "Telegraph")),
    KnownSource("The Independent", "https://www.independent.co.uk/", ("Independent",)),
    KnownSource("The Economist", "https://www.economist.com/", ("Economist",)),
    KnownSource("The Atlantic", "https://www.theatlantic.com/", ("Atlantic",)),
    KnownSource("The New Yorker", "https://www.newyorker.com/", ("New Yorker",)),
    KnownSource("Financial Times", "https://www.ft.com/", ("FT",)),
    KnownSource("USA Today", "https://www.usatoday.com/"),
    KnownSource("Chicago Tribune", "https://www.chicagotribune.com/"),
    KnownSource("The Boston Globe", "https://www.bostonglobe.com/", ("Boston Globe",)),
    KnownSource("Reuters", "https://www.reuters.com/"),
    KnownSource("Associated Press", "https://apnews.com/", ("AP", "The Associated Press")),
    KnownSource("Agence France-Presse", "https://www.afp.com/", ("AFP",)),
    KnownSource("Bloomberg", "https://www.bloomberg.com/", ("Bloomberg News",)),
    KnownSource("BBC", "https://www.bbc.co.uk/", ("BBC News", "The BBC")),
    KnownSource("CNN", "https://www.cnn.com/"),
    KnownSource("NPR", "https://www.npr.org/"),
    KnownSource("Al Jazeera", "https://www.aljazeera.com/", ("Al-Jazeera",)),
    KnownSource("Politico", "https://www.politico.com/"),
    KnownSource("Axios", "https://www.axios.com/"),
    KnownSource("Newsweek", "https://www.newsweek.com/"),
    KnownSource("Time", "https://time.com/", ("Time magazine",)),
    KnownSource("Der Spiegel", "https://www.spiegel.de/", ("Spiegel",)),
    KnownSource("Le Monde", "https://www.lemonde.fr/"),
    KnownSource("TASS", "https://tass.com/", ("Tass",)),
    KnownSource("Interfax", "https://www.interfax.ru/"),
    KnownSource("Anadolu Agency", "https://www.aa.com.tr/", ("Anadolu",)),
    KnownSource("Hürriyet", "https://www.hurriyet.com.tr/", ("Hurriyet", "Hürriyet Daily News")),
    KnownSource("Xinhua", "https://www.xinhuanet.com/"),
)


def _key(name: str) -> str:
    words = name.replace("’", "'").split()
    if words and words[0].lower() == "the":
        words = words[1:]
    return " ".join(words).lower()


_INDEX: dict[str, KnownSource] = {}
for _source in KNOWN_PUBLICATIONS:
    for _alias in (_source.name, *_source.aliases):
        _INDEX.setdefault(_key(_alias), _source)


@functools.lru_cache(maxsize=4096)
def lookup(name: str) -> KnownSource | None:
    """The known source a name refers to, ignoring a leading "the" and letter case."""
    return _INDEX.get(_key(name))
