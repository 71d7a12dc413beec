"""Turning a run of capitalised words into the name an archivist would confirm.

A run found before "said" is often more than a name: a title ("Governor Ana Ruiz", "Italian Health
Minister Paolo Ferri"), a leading article ("The", "A Home Office spokesman"), a possessive owner
("Reuters' tally"), a place ("Colette Brun of Lyon") or a day ("Ruiz on Friday said"). These rules
trim such words; they work on the words of one name, so they cost nothing per character of text.
"""

from __future__ import annotations

import functools
import re

TITLE_WORDS = frozenset({
    "governor", "gov", "president", "pres", "minister", "secretary", "senator", "sen",
    "representative", "rep", "congressman", "congresswoman", "assemblyman", "assemblywoman",
    "mayor", "chancellor", "judge", "justice", "brigadier", "brig", "gen", "colonel", "col",
    "lieutenant", "lt", "captain", "capt", "sergeant", "sgt", "major", "maj", "commander", "cmdr",
    "admiral", "adm", "commissioner", "inspector", "insp", "detective", "det", "superintendent",
    "supt", "constable", "sheriff", "ambassador", "envoy", "professor", "prof", "dr", "doctor", "mr",
    "mrs", "ms", "sir", "dame", "lord", "lady", "baroness", "baron", "king", "queen", "prince",
    "princess", "pope", "archbishop", "bishop", "cardinal", "rabbi", "imam", "reverend", "rev",
    "attorney", "speaker", "leader", "chairman", "chairwoman", "chair", "chairperson", "ceo", "cfo",
    "coo", "officer", "director", "director-general", "spokesman", "spokeswoman", "spokesperson",
    "premier", "taoiseach", "tanaiste", "mp", "mep", "councillor", "cllr", "councilman", "councilwoman",
    "alderman",
    "campaigner", "analyst", "economist", "lawyer", "activist", "coach", "manager", "official",
    "founder", "editor", "correspondent", "columnist", "researcher", "scientist", "author", "head",
    "chief", "executive", "strategist", "historian", "expert", "diplomat", "negotiator", "advocate",
    "administrator", "engineer", "investigator", "adviser", "advisor", "consultant", "deputy",
    "aide", "architect", "surgeon", "nurse", "teacher", "pilot", "fisherman", "farmer", "trader",
    "banker", "broker", "prosecutor", "magistrate", "ombudsman", "governor-general", "sheikh",
    "emir", "chef", "curator", "organiser", "organizer", "coordinator", "vice",
    "lawmaker", "legislator", "politician", "treasurer", "comptroller", "auditor", "registrar",
    "solicitor", "barrister", "secretary-general", "boss", "astronomer", "prefect", "astronaut",
    "principal", "dean", "rector", "provost", "father", "brother", "sister", "mother", "collector",
    "skipper", "helmsman", "jockey", "trainer",
})  # fmt: skip
"""Words that make what follows them a person: ranks, offices, honorifics, and the job nouns wire
copy puts before a name ("Campaigner Rob Findlay", "Economist Liam O'Connor")."""
ROLE_WORDS = frozenset({
    "member", "fellow", "partner", "candidate", "resident", "witness", "passenger", "student",
    "co-founder", "cofounder", "survivor", "worker", "driver", "son", "daughter", "wife",
    "husband", "geophysicist", "shopkeeper", "volunteer", "veteran", "pensioner", "tenant",
    "customer", "victim", "relative", "neighbour", "neighbor", "lecturer", "commentator",
    "presenter", "host", "actor", "actress", "singer", "player", "striker", "forward", "defender",
    "goalkeeper", "writer", "poet", "entrepreneur", "investor", "billionaire", "protester", "teenager",
    "opponent", "challenger", "successor", "predecessor", "champion", "guide", "ranger", "parent",
    "priest", "nun", "monk", "cleric", "paramedic", "midwife", "mechanic", "fan", "eyewitness",
    "bystander", "pilgrim",
    "grower", "villager", "vendor", "herder", "rancher", "hunter", "worshipper", "mourner", "hiker",
    "climber", "skier", "diver", "holidaymaker", "traveller", "traveler", "commuter", "motorist",
    "shopper", "tourist", "homeowner", "landlord", "labourer", "laborer",
})  # fmt: skip
"""Lower-case nouns for people that are no titles (a run of names is not cut at them: "EU Member
States"), but say that the name beside them is a person's ("passenger Bikash Mohanty")."""
_LATE_TITLES = frozenset({"general"})
"""Titles only after another title ("Attorney General", "Secretary General"): "General Motors"."""
COMMON_WORDS = frozenset({
    "he", "she", "it", "they", "we", "i", "you", "this", "that", "these", "those", "there", "his",
    "her", "its", "their", "our", "a", "an", "the", "some", "others", "many", "most", "both", "all",
    "reports", "officials", "police", "witnesses", "sources", "critics", "experts", "analysts",
    "authorities", "residents", "observers", "investigators", "rescuers", "doctors", "economists",
    "forecasters", "prosecutors", "lawyers", "researchers", "scientists", "protesters", "voters",
    "workers", "farmers", "firefighters", "diplomats", "shares", "markets", "traders", "investors",
    "guests", "customers", "shoppers", "tourists", "pilgrims", "students", "teachers", "nurses",
    "villagers", "motorists", "commuters", "neighbours", "neighbors", "spectators", "refugees",
    "migrants", "miners", "drivers", "fishermen", "pupils", "tenants", "consumers", "unions",
    "sales", "profit", "profits", "revenue", "revenues", "exports", "imports", "prices", "output",
    "earnings", "inflation", "unemployment", "demand",
    "people", "officers", "troops", "soldiers", "activists", "campaigners", "organisers",
    "organizers", "passengers", "survivors", "relatives", "locals", "reporters", "journalists",
    "aides", "allies", "opponents", "supporters", "leaders", "ministers", "lawmakers", "members",
    "staff", "employees", "engineers", "executives", "visitors", "fans", "users", "parents",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "today", "yesterday", "tonight", "tomorrow", "in", "on", "at", "after",
    "before", "while", "when", "but", "and", "so", "later", "earlier", "also", "then", "mr", "mrs",
    "ms", "dr", "asked", "meanwhile", "however", "separately", "still", "yet", "now", "here",
    "spring", "summer", "autumn", "winter", "one", "two", "three", "several", "each", "every",
    "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "dozens", "hundreds",
    "thousands", "millions", "tens", "scores", "children", "women", "men", "patients", "families",
})  # fmt: skip
"""Capitalised words that are not names: pronouns, plural role nouns, days, months, and the words
that open sentences."""
TIME_WORDS = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "today", "yesterday", "tonight", "tomorrow", "spring", "summer",
    "autumn", "winter",
})  # fmt: skip
"""Days, months and seasons: joined on by a connector ("Ruiz on Friday") they are not the name's
("Competition and Markets Authority" keeps its "Markets")."""
_CONNECTORS = frozenset({
    "of", "and", "und", "&", "de", "del", "der", "du", "la", "le", "al", "van", "von", "for", "on", "the",
    "da", "dos", "y", "bin", "ab", "ap", "della", "dello", "delle", "degli", "dei", "des", "di", "das", "do",
})  # fmt: skip
_ARTICLES = ("The", "A", "An")
PORTFOLIO_WORDS = frozenset({
    "foreign", "defence", "defense", "interior", "health", "air", "home", "justice", "finance",
    "commerce", "trade", "economy", "environment", "education", "energy", "agriculture",
    "transport", "labour", "labor", "culture", "central", "federal", "state", "armed", "naval",
    "supreme", "high", "statistics", "statistical", "treasury", "security", "intelligence",
    "national", "royal", "general", "public", "prosecution", "audit", "cabinet", "information",
    "commissioner's", "commissioner", "emergency", "electoral", "communications", "industry",
    "housing", "fisheries", "tourism", "infrastructure", "digital", "science", "technology", "innovation",
})  # fmt: skip
"""Words a body's generic name is made of with its type word ("Defence Ministry", "Air Force");
after an owner's possessive such a name keeps its owner ("Russia's Defence Ministry")."""
ORG_DESCRIPTORS = frozenset({
    "firm", "company", "group", "airline", "carrier", "lender", "insurer", "retailer", "charity",
    "operator", "manufacturer", "maker", "developer", "startup", "start-up", "giant",
    "conglomerate", "broker", "brokerage", "pollster", "watchdog", "regulator", "utility",
    "consultancy", "tank", "think-tank", "organisation", "organization", "nonprofit",
    "non-profit", "publisher", "supermarket", "chain", "automaker", "carmaker", "miner",
    "producer", "supplier", "exporter", "importer", "bank", "provider", "drugmaker", "chipmaker",
    "exchange", "platform", "streamer", "processor", "railroad", "railway", "fund",
    "steelmaker", "planemaker", "shipbuilder", "lobby", "rival", "brewer", "refiner", "distiller", "portal",
})  # fmt: skip
"""Nouns that say the name after them is a body's: "the campaign group Just Stop Oil", "Airline
Ryanair said", "cyber security firm Check Point Research"."""
_POSSESSIVE = re.compile(r"['’]s?$")


def words_of(name: str) -> list[str]:
    return name.split()


@functools.lru_cache(maxsize=65536)
def plain(word: str) -> str:
    """A word as the lists hold it: lower case, without dots or a possessive."""
    return _POSSESSIVE.sub("", word).strip(".,").lower()


_PROFESSION = re.compile(r"(?:ologist|ician)$")
_PROFESSIONS_IN_IST = frozenset({
    "scientist", "journalist", "columnist", "activist", "economist", "strategist", "specialist",
    "novelist", "physicist", "chemist", "pharmacist", "dentist", "therapist", "psychiatrist",
    "environmentalist", "conservationist", "artist", "pianist", "violinist", "cyclist", "lobbyist",
    "analyst", "futurist", "linguist", "geneticist", "nutritionist", "meteorologist",
})  # fmt: skip
"""Professions ending in -ist; a capitalised -ist word is often a party's or a faith's adjective
instead ("the Peronist CGT union", "Islamist", "Baptist")."""
"""Endings of the professions wire copy puts before a name ("Paediatrician Lena Horvath",
"Epidemiologist Ana Reyes"); no given name ends so."""


def is_title(word: str, position: int) -> bool:
    key = plain(word)
    if "-" in key and key.split("-", 1)[0] in ("vice", "deputy", "co", "acting", "ex", "former"):
        if key == "co-owner":
            return True  # "Co-owner Jim Ratcliffe"; "owner" alone is a body's too ("Ship owner Shoei Kisen")
        key = key.split("-", 1)[1]  # "Vice-President", "Co-Chair", "Deputy-Governor"
    return (key in TITLE_WORDS or key.endswith("-year-old") or (position > 0 and key in _LATE_TITLES)
            or (word[:1].isupper() and len(key) > 5 and _PROFESSION.search(key) is not None)
            or key in _PROFESSIONS_IN_IST)


_TITLES_THAT_ARE_NAMES = frozenset({"sen"})
"""Abbreviated titles that are also names ("Sen" of "Amartya Sen", "Soma Sen Roy")."""
_BEFORE_ABBREVIATED_TITLE = frozenset({"republican", "democratic", "democrat", "state", "u.s", "us", "gop"})


def _surname_not_title(words: list[str], position: int) -> bool:
    """Whether an abbreviated title without its full stop, between a name and one more word, is a
    name: "Soma Sen Roy" is one person, "Republican Sen Ted Cruz" is a senator (two words after)."""
    word = words[position]
    if plain(word) not in _TITLES_THAT_ARE_NAMES or word.endswith(".") or position == 0:
        return False
    before = words[position - 1]
    return (position == len(words) - 2 and before[:1].isupper() and not is_title(before, position - 1)
            and plain(before) not in _BEFORE_ABBREVIATED_TITLE)


def strip_title(words: list[str], body_words: frozenset[str] = frozenset()) -> tuple[list[str], bool]:
    """The words after the last title, and whether there was one.

    Everything before a title describes the person ("Italian Health Minister", "Bank of England
    Governor"); "of" and a portfolio after it belong to the title ("Secretary of State"). The rest
    must still look like a name (a capitalised word, not only ``body_words`` such as "Office"), or
    the words are left as they were.
    """
    last = None
    for position, word in enumerate(words[:-1]):
        if plain(word) in _LATE_TITLES and (position == 0 or not is_title(words[position - 1], position - 1)):
            continue  # "College of General Practitioners": "General" is a title only after one
        if _surname_not_title(words, position):
            continue  # "Soma Sen Roy": a surname spelt as an abbreviated title
        if is_title(word, position):
            last = position
    if last is None:
        return words, False
    rest = words[last + 1 :]
    if rest and rest[0] in ("of", "for"):
        rest = _name_after_portfolio(rest)
        if rest is None:
            return words, False
    while rest and is_title(rest[0], 1):
        rest = rest[1:]
    if not rest or not rest[0][:1].isupper() or (plain(rest[0]) in _CONNECTORS and not particle_opens(rest)):
        return words, False
    if all(plain(w) in body_words for w in rest):
        return words, False
    return rest, True


_OPENING_PARTICLES = frozenset({"le", "la", "de", "da", "di", "du", "van", "von", "del", "al", "el"})


def particle_opens(rest: list[str]) -> bool:
    """ "Agriculture Minister Le Minh Hoan", "Mayor De Blasio Jr": after a title, a capitalised particle
    followed by capitalised words opens a person's name (a Vietnamese "Le", an Italian "De")."""
    return (
        len(rest) >= 2 and plain(rest[0]) in _OPENING_PARTICLES and rest[0][:1].isupper()
        and all(w[:1].isupper() for w in rest[1:])
    )


def _name_after_portfolio(rest: list[str]) -> list[str] | None:
    """ "Secretary of State Mark Delaney", "Minister for Climate Change Ayesha Qureshi": after a
    title's "of" or "for" comes its portfolio, then the name. Where one ends and the other begins no
    word says, so the name is taken to be the last two words, with the particles before its last
    word ("Mariana de la Fuente"); at least one word of portfolio must be left before it."""
    named = _after_portfolio_words(rest)
    if named is not None:
        return named
    start = len(rest) - 1
    while start > 1 and rest[start - 1] in _CONNECTORS and rest[start - 1][:1].islower():
        start -= 1
    start -= 1
    if start < 2 or not rest[start][:1].isupper():
        return None
    return rest[start:]


def _after_portfolio_words(rest: list[str]) -> list[str] | None:
    """ "of Industry and Trade Nguyen Sinh Nhat Tan": when every word of the portfolio is a
    portfolio's ("Industry", "Trade", "Foreign Affairs"), the name is all that follows it, however
    many words it has; None when the words do not say where the portfolio ends."""
    position = 1
    while position < len(rest) and (
        plain(rest[position]) in _PORTFOLIO_PARTS or rest[position] in _PORTFOLIO_JOINS
    ):
        position += 1
    name = rest[position:]
    if position < 2 or rest[position - 1] in _PORTFOLIO_JOINS or len(name) < 2:
        return None
    return name if name[0][:1].isupper() else None


_PORTFOLIO_JOINS = ("and", "&", "the", "for", "of")
_PORTFOLIO_PARTS = (PORTFOLIO_WORDS - {"national", "royal", "general", "central", "high"}) | {
    "affairs", "state", "change", "climate", "development", "planning", "works", "water", "resources",
    "land", "lands", "mines", "mining", "petroleum", "oil", "gas", "power", "youth", "sports", "sport",
    "women", "family", "families", "social", "welfare", "employment", "investment", "budget", "regional",
    "local", "government", "rural", "urban", "international", "relations", "cooperation", "veterans",
    "immigration", "citizenship", "legal", "constitutional", "arts", "heritage", "food", "forestry",
    "forests", "natural", "wildlife", "religious", "broadcasting", "telecommunications", "aviation",
    "shipping", "maritime", "ports", "roads", "highways", "railways", "electricity", "research",
    "higher", "enterprise", "industries", "manpower", "livestock", "irrigation", "consumer",
    "protection", "disaster", "management", "emergencies", "civil", "human", "rights", "equality",
    "equalities", "children", "media", "european", "territory", "economic", "defense",
}  # fmt: skip
"""The words a minister's portfolio is made of ("Minister of Industry and Trade", "Secretary of
State for Foreign Affairs"): none is a given name."""


def only_titles(words: list[str]) -> bool:
    """ "Prime Minister", "Chief Executive": a role without a name, which no one can confirm."""
    return all(is_title(w, i) or plain(w) in _CONNECTORS for i, w in enumerate(words))


DESCRIBING_ENDS = ("-based", "-owned", "-run", "-backed", "-controlled", "-listed")
"""The endings of a capitalised word that only describes the name after it ("State-owned ZCCM")."""


def strip_descriptor(words: list[str]) -> tuple[list[str], bool]:
    """A name without the body noun that opens its run ("Airline Ryanair", capitalised only because
    it opens the sentence), and whether there was one."""
    if len(words) > 1 and (plain(words[0]) in ORG_DESCRIPTORS or words[0].endswith(DESCRIBING_ENDS)) and any(
        c.isupper() for c in words[1][:5]
    ):
        return words[1:], True
    return words, False


MEDIA_DESCRIPTORS = frozenset({"newspaper", "broadcaster", "tabloid", "broadsheet", "website"})
"""Nouns that say the name after them is a paper's or a broadcaster's: "Newspaper El Universal"
("Daily", "Radio" and "Magazine" open names of their own: "Daily Mail", "Radio France")."""


def strip_medium(words: list[str]) -> tuple[list[str], bool]:
    """A name without the medium's noun that opens its run ("Newspaper Folha de S.Paulo", capitalised
    only because it opens the sentence), and whether there was one: the rest is a publication."""
    if len(words) > 1 and plain(words[0]) in MEDIA_DESCRIPTORS and words[1][:1].isupper():
        return words[1:], True
    return words, False


def before_title(words: list[str]) -> list[str] | None:
    """ "Starbucks Chief Executive Laxman Narasimhan": the capitalised words before the first title,
    which name the body the person speaks for, or None."""
    for position, word in enumerate(words):
        if is_title(word, position):
            owner = drop_article(words[:position])
            if owner and owner[0] not in _ARTICLES and plain(owner[-1]) not in _CONNECTORS and all(
                w[:1].isupper() or plain(w) in _CONNECTORS for w in owner
            ):
                return owner
            return None
    return None


def person_of_body(words: list[str], looks_like_person) -> list[str] | None:
    """ "Tom Ashdown of Redfield Strategies": a person named with the body they speak for is the
    person, when the words before "of"/"at" look like a person's name (``looks_like_person``) and
    no body's word is among them ("Bank of England", "Royal Bank of Scotland" stay whole)."""
    for position in (2, 3, 4):
        if len(words) > position + 1 and words[position] in ("of", "at", "from"):
            before = words[:position]
            if all(w[:1].isupper() and plain(w) not in _CONNECTORS for w in before) and looks_like_person(
                " ".join(before)
            ):
                return before
    return None


def trim_place(words: list[str]) -> list[str]:
    """A person's name without the place after it: "Colette Brun of Lyon" is Colette Brun."""
    for position, word in enumerate(words):
        if position >= 1 and word in ("of", "from", "at"):
            return words[:position]
    return words


def trim_time(words: list[str]) -> list[str]:
    """ "Ruiz on Friday", "Reuters on Tuesday": a day or month joined on by a connector is not name."""
    for position in range(1, len(words) - 1):
        after = words[position + 1]
        if words[position] in _CONNECTORS and after[:1].isupper() and plain(after) in TIME_WORDS:
            return words[:position]
    return words


def drop_article(words: list[str]) -> list[str]:
    if len(words) > 1 and words[0] in _ARTICLES:
        return words[1:]
    return words


_MEMBERS_BODIES = frozenset({
    "association", "union", "party", "congress", "federation", "council", "alliance", "league", "guild",
    "society", "fund", "front", "collective", "cooperative", "co-operative", "assembly", "forum",
    "coalition", "movement", "network", "committee", "club",
})  # fmt: skip
"""Bodies named for their members in a plural possessive ("Farmers' Union")."""
MEMBERS_BODIES = _MEMBERS_BODIES


def possessive_split(words: list[str]) -> tuple[list[str], list[str]] | None:
    """``(owner, rest)`` when a word inside the name is possessive ("Chile's National ...")."""
    for position, word in enumerate(words[:-1]):
        if words[position + 1] in ("of", "for") or (
            word.endswith(("s'", "s’")) and (
                plain(words[position + 1]) in _MEMBERS_BODIES or plain(words[-1]) in _MEMBERS_BODIES
            )
        ):
            continue  # "Lloyd's of London" (a possessive is never followed by "of"), "Farmers' Union"
        if _POSSESSIVE.search(word) and (word.endswith(("'s", "’s")) or word.endswith(("s'", "s’"))):
            return words[: position + 1], words[position + 1 :]
    return None


def without_possessive(name: str) -> str:
    """ "Reuters'" and "the Guardian's" name Reuters and the Guardian."""
    if name.endswith(("'s", "’s")):
        return name[:-2]
    if name.endswith(("s'", "s’")):
        return name[:-1]
    return name.rstrip("'’")
