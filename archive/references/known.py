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
    KnownSource("Xinhua", "https://www.xinhuanet.com/", ("Xinhua News Agency",)),
    # News agencies: whatever the wording around them, they are publications.
    KnownSource("Kyodo News", "https://english.kyodonews.net/", ("Kyodo",)),
    KnownSource("Yonhap", "https://en.yna.co.kr/", ("Yonhap News Agency",)),
    KnownSource("ANSA", "https://www.ansa.it/"),
    KnownSource("EFE", "https://www.efe.com/", ("Agencia EFE",)),
    KnownSource("Deutsche Presse-Agentur", "https://www.dpa.com/", ("DPA",)),
    KnownSource("Press Trust of India", "https://www.ptinews.com/", ("PTI",)),
    KnownSource("United Press International", "https://www.upi.com/", ("UPI",)),
    KnownSource("The Canadian Press", "https://www.thecanadianpress.com/", ("Canadian Press",)),
    KnownSource("Australian Associated Press", "https://www.aap.com.au/", ("AAP",)),
    KnownSource("PA Media", "https://pa.media/", ("Press Association", "PA")),
    KnownSource("Jiji Press", "https://jen.jiji.com/", ("Jiji",)),
    KnownSource("RIA Novosti", "https://ria.ru/", ("RIA",)),
    KnownSource("Ukrinform", "https://www.ukrinform.net/"),
    KnownSource("IRNA", "https://en.irna.ir/"),
    KnownSource("Bernama", "https://www.bernama.com/"),
    KnownSource("Antara", "https://en.antaranews.com/"),
    # Broadcasters.
    KnownSource("Sky News", "https://news.sky.com/"),
    KnownSource("ITV News", "https://www.itv.com/news", ("ITV",)),
    KnownSource("Channel 4 News", "https://www.channel4.com/news"),
    KnownSource("CBS News", "https://www.cbsnews.com/", ("CBS",)),
    KnownSource("NBC News", "https://www.nbcnews.com/", ("NBC",)),
    KnownSource("ABC News", "https://abcnews.go.com/"),
    KnownSource("Fox News", "https://www.foxnews.com/"),
    KnownSource("MSNBC", "https://www.msnbc.com/"),
    KnownSource("CNBC", "https://www.cnbc.com/"),
    KnownSource("PBS", "https://www.pbs.org/", ("PBS NewsHour",)),
    KnownSource("CBC News", "https://www.cbc.ca/news", ("CBC", "Canadian Broadcasting Corporation")),
    KnownSource("Deutsche Welle", "https://www.dw.com/", ("DW",)),
    KnownSource("France 24", "https://www.france24.com/"),
    KnownSource("Radio France Internationale", "https://www.rfi.fr/", ("RFI",)),
    KnownSource("Euronews", "https://www.euronews.com/"),
    KnownSource("NHK", "https://www3.nhk.or.jp/"),
    KnownSource("RTÉ", "https://www.rte.ie/", ("RTE",)),
    KnownSource("Radio Free Europe/Radio Liberty", "https://www.rferl.org/", ("RFE/RL", "Radio Free Europe")),
    # Newspapers, magazines and news sites often cited in wire copy.
    KnownSource("The Observer", "https://www.theguardian.com/observer", ("Observer",)),
    KnownSource("The Sunday Times", "https://www.thetimes.co.uk/", ("Sunday Times",)),
    KnownSource("Daily Mail", "https://www.dailymail.co.uk/", ("The Daily Mail",)),
    KnownSource("The Irish Times", "https://www.irishtimes.com/", ("Irish Times",)),
    KnownSource("The Globe and Mail", "https://www.theglobeandmail.com/", ("Globe and Mail",)),
    KnownSource("Toronto Star", "https://www.thestar.com/"),
    KnownSource("The Sydney Morning Herald", "https://www.smh.com.au/", ("Sydney Morning Herald",)),
    KnownSource("South China Morning Post", "https://www.scmp.com/", ("SCMP",)),
    KnownSource("The Times of India", "https://timesofindia.indiatimes.com/", ("Times of India",)),
    KnownSource("The Hindu", "https://www.thehindu.com/"),
    KnownSource("Haaretz", "https://www.haaretz.com/"),
    KnownSource("Nikkei", "https://asia.nikkei.com/", ("Nikkei Asia",)),
    KnownSource("Asahi Shimbun", "https://www.asahi.com/", ("The Asahi Shimbun",)),
    KnownSource("Le Figaro", "https://www.lefigaro.fr/"),
    KnownSource("Le Parisien", "https://www.leparisien.fr/"),
    KnownSource("Les Echos", "https://www.lesechos.fr/"),
    KnownSource("El País", "https://elpais.com/", ("El Pais",)),
    KnownSource("El Mundo", "https://www.elmundo.es/"),
    KnownSource("Süddeutsche Zeitung", "https://www.sueddeutsche.de/", ("Sueddeutsche Zeitung",)),
    KnownSource("Frankfurter Allgemeine Zeitung", "https://www.faz.net/", ("FAZ",)),
    KnownSource("Handelsblatt", "https://www.handelsblatt.com/"),
    KnownSource("Die Zeit", "https://www.zeit.de/", ("Zeit",)),
    KnownSource("Bild", "https://www.bild.de/"),
    KnownSource("Corriere della Sera", "https://www.corriere.it/"),
    KnownSource("La Repubblica", "https://www.repubblica.it/"),
    KnownSource("The Hill", "https://thehill.com/"),
    KnownSource("ProPublica", "https://www.propublica.org/"),
    KnownSource("Forbes", "https://www.forbes.com/"),
    KnownSource("Fortune", "https://fortune.com/"),
    KnownSource("Business Insider", "https://www.businessinsider.com/", ("Insider",)),
    KnownSource("HuffPost", "https://www.huffpost.com/", ("Huffington Post",)),
    KnownSource("Vox", "https://www.vox.com/"),
    KnownSource("The Lancet", "https://www.thelancet.com/", ("Lancet",)),
    KnownSource("Nature", "https://www.nature.com/"),
    KnownSource("Science", "https://www.science.org/"),
    KnownSource("The BMJ", "https://www.bmj.com/", ("BMJ", "British Medical Journal")),
    KnownSource("The New England Journal of Medicine", "https://www.nejm.org/",
                ("New England Journal of Medicine", "NEJM")),
    KnownSource("JAMA", "https://jamanetwork.com/", ("Journal of the American Medical Association",)),
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
