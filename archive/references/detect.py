"""Finding the sources an article attributes information to, by the phrases reporters use.

Only attributions count ("according to the X", "X reported", "the X explains", "X said", "told
the X", "polled by the X", "a YouGov poll", "Reuters' tally"), not every capitalised name: a force
that acts in the story ("Turkish Special Forces killed ...") is not a source. What is found is a
proposal for an archivist to confirm, so each rule here errs towards proposing less.

Names are runs of capitalised words. A run never crosses a sentence boundary: a word's full stop
ends it ("Reuters. The") unless the word is an initial or a known abbreviation ("U.S.", "Sen."),
and even those end it before a word that opens sentences ("... in the U.S. The ...").
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from archive.references import names
from archive.references.classify import (
    CAPITALS,
    COUNTRIES,
    ORGANISATION_WORDS,
    PUBLICATION_WORDS,
    classify,
    said_by_words,
)
from archive.references.known import KnownSource, lookup
from archive.references.titled import described_as_body, given_named_person, last_look

_SP = r"[^\S\r\n]"
"""Spaces within a line, the no-break space included (news texts use it between names)."""
_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĴĶĹĻĽĿŁŃŅŇŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽ"
"""Capitals, those of central and eastern European names too ("Łukasz", "Šimečka", "ČTK")."""
_ABBREVIATIONS = (
    "Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Lt|Col|Sgt|Capt|Cmdr|Adm|Maj|Brig|Insp|Det|Supt|Rev|St|Jr|Sr|"
    "Co|Corp|Inc|Ltd|Mt|Ft|Pres|Atty|Hon|Cllr|Messrs"
)
_STARTERS = (
    "The|A|An|He|She|It|They|We|I|His|Her|Its|Their|This|That|These|Those|There|In|On|At|But|And|"
    "As|After|Before|When|While|If|For|By|From|Some|Many|Most|No|One|Two|Three|Officials|Police"
)
_DOTTED = rf"(?<![\w’'&.-])(?:(?:[{_UPPER}]\.)++|(?:{_ABBREVIATIONS})\.)(?!{_SP}+(?:{_STARTERS})\b)"
"""An initial or abbreviation keeps its full stop (and the run goes on) unless a sentence opens;
only as a word of its own (the "T." of "NYT." is no initial), so a run is the same whichever of
its capitals it is read from."""
_PARTICLE_JOINED = rf"(?<![\w’'&.-])(?:al|el|ad|an|ar|as|ash|at|az|bin|ibn|abu|ben)-[{_UPPER}][\w’'&/-]*"
"""A surname joined to its particle by a hyphen, in lower case: "Karim al-Rubaie"."""
_LOWER_NAMES = "dpa|n-tv|taz"
"""Sources that write their own name in lower case ("the dpa news agency")."""
_CAP = (
    rf"(?:(?<!\w)[{_UPPER}][\w’'&/-]*\.(?:com|org|net|io|fyi|ie|de|fr|es|it|nl|ch|at|se|dk|no|fi|pl|cz|in|au|nz|ca|za|ng|ke|jp|kr|br|mx|ar|co\.uk|co\.za|co\.nz|co\.in|com\.au|com\.br)(?!\w|\.\w)|(?<!\w)[{_UPPER}]\.[{_UPPER}][\w’'&/-]+|{_DOTTED}|(?<!\w)[{_UPPER}][\w’'&/-]*|{_PARTICLE_JOINED}|"
    rf"(?<![\w’'&.-])[a-z]{{1,4}}[{_UPPER}][\w’'&/-]*|(?<![\w’'&.-])(?:{_LOWER_NAMES})(?![\w’'&-]))"
)
"""A capitalised word, an initial or abbreviation (above), or a place's initial run on ("Folha de
S.Paulo")."""
_CONNECT = (
    rf"(?:(?:of|for|on)(?:{_SP}+the)?|"
    r"and|und|&|de|del|della|dello|delle|degli|dei|der|des|di|du|la|le|al|van|von|ten|ter|den|da|das|do|dos|y|bin|ab|ap)"
)
NAME = rf"{_CAP}(?:{_SP}+(?:{_CONNECT}{_SP}+)*(?!The\b)(?:{_CAP}|\d+\b(?:['’]s)?))*"
"""A run of capitalised words, with connectors ("Institute for the Study of War") and numbers
("BBC Radio 4") inside it; a full stop without an abbreviation ends it."""

_VERBS = (
    "reported|reports|said|says|explains|explained|wrote|writes|noted|notes|stated|states(?![.,;:)])|"
    rf"claimed|claims|confirmed|confirms|announced|announces|(?:added|adds)(?!{_SP}+(?:an?|\d|more|new|some|another)\b)|"
    "described|describes|"
    "revealed|reveals|told|tells|warned|warns|found|finds|showed|shows|estimated|estimates|"
    "predicted|predicts|argued|argues|insisted|concluded|acknowledged|admitted|disclosed|"
    "published|publishes|welcomed|suggested|suggests|recommends|recommended|tweeted|posted|"
    "calculated|projected|forecast|forecasts|(?<!who )expects|logged|recorded|counted|measured|detected|"
    "tallied|"
    "cautioned|urged|stressed|emphasised|emphasized|asserted|maintained|observed|commented|"
    rf"remarked|replied|responded|countered|alleged|defended|broadcast(?!{_SP}+by)|aired(?!{_SP}+by)|"
    rf"conceded(?!{_SP}+(?:defeat|the{_SP}+(?:race|election|match|game|title|seat)))|"
    rf"testified|declared(?={_SP}+that|,|{_SP}*[“\"])|reiterated|denied|denies|advised|advises|"
    rf"puts?(?={_SP}+(?:(?:the|its|their){_SP}+)?(?:[\w-]+{_SP}+){{1,6}}?at\b)|rated|ranked|"
    "signalled|signaled|signals|indicated|hinted|vowed|criticised|criticized|"
    "criticises|criticizes|condemned|condemns|praised|accused|blamed|"
    rf"(?:cut|cuts|raised|raises|lowered|lowers|revised|revises|trimmed|lifted|slashed|upgraded|downgraded|"
    rf"kept|keeps|reaffirmed|affirmed)"
    rf"(?=(?:{_SP}+(?:its|their|the))?(?:{_SP}+[\w'’-]+){{0,3}}?{_SP}+(?:forecasts?|estimates?|outlook|"
    rf"projections?|guidance|ratings?|alerts?|warnings?|threat{_SP}+level)\b)|"
    rf"called(?!{_SP}+(?:for|off|on|in|up|out|back)\b)|called{_SP}+(?:on|for)\b|"
    rf"issued(?=(?:{_SP}+(?:its|their|an?|the))?(?:{_SP}+[\w-]+){{0,3}}?{_SP}+(?:warnings?|alerts?|advisory|"
    rf"advisories|forecasts?|statements?)\b)|"
    rf"quoted(?!{_SP}+(?:by|at|in)\b)|cited(?!{_SP}+by\b)|"
    rf"(?:placed|puts?)(?=(?:{_SP}+[\w'’-]+){{1,4}}?{_SP}+on{_SP}+(?:[a-z]+{_SP}+){{0,2}}alert\b)"
)
_ADVERBS = (
    rf"(?:(?:has|have|had|also|first|later|previously|earlier|then|recently|all|both|itself|"
    rf"separately|again){_SP}+)*"
)
_MEDIA_NOUNS = (
    rf"news{_SP}+agency|news{_SP}+service|newspaper|broadcaster|television|radio|daily|weekly|"
    "magazine|website|tabloid|channel"
)
_SPOKESPEOPLE = "spokesman|spokeswoman|spokesperson|data|figures"
_STAFF = "analysts|economists|strategists|researchers|organisers|organizers"
"""Who speaks for a body named before them: "Goldman Sachs analysts said" cites Goldman Sachs."""
_APPOSITIVE = r""",(?:[^,.;:\n"“”]|\.(?!\s)|(?<=\b[A-Z])\.|,(?=\d{3}\b)){1,100},"""
"""Words set off by commas, an initial's full stop inside ("the largest U.S. egg producer")."""
_FINDINGS = (
    "reporting|report|reports|analysis|investigation|tally|poll|polls|survey|data|figures|index|"
    "estimate|estimates|study|count|calculations|editorial|coverage|review"
)
_TITLED_FINDINGS = "Report|Survey|Assessment|Index|Review|Outlook|Study|Audit|Census|Barometer|Monitor"
"""``the Environment Agency's annual Environmental Performance Assessment``: a document its owner
publishes, by a title that ends in a document's word."""
_BODY_AFTER = (
    "union|trade union|labour union|party|federation|confederation|alliance|coalition|movement|"
    "agency|group|association|institute|regulator|watchdog|pollster|charity|ministry|authority|"
    "unions|parties|groups|agencies|associations|federations|spa|museum|zoo|hospital|"
    "network|foundation|council|committee|commission|board|mission|delegation|co-operative|cooperative|"
    "platform|exchange|police|police force|unit|subsidiary|division|affiliate"
)
"""A body's noun between its name and the verb: "The Verdi union said", "the AFAD agency said"."""
_WHICH_SAID = r"(?:said|says|told|tells|added|warned|stated|confirmed|estimated)\b"
"""What a body says in a relative clause ("Korea Zinc, which said"); not "which reported last week"
(its results)."""
_ACRONYM_AFTER = rf"(?:{_SP}+\([{_UPPER}][\w&.-]{{1,10}}(?:{_SP}[{_UPPER}][\w&.-]{{1,10}})?\))?"
"""``the Educational Institute of Scotland (EIS) union said``, ``the California Department of
Forestry and Fire Protection (Cal Fire) said``: the short form in brackets, of one or two words."""
_ATTRIBUTION = re.compile(
    rf"{_ACRONYM_AFTER}(?:{_SP}+(?:(?P<medium>(?:(?!(?:and|or|of|in|the|an?|to|for|by)\b)[a-z]+{_SP}+)?"
    rf"(?:news{_SP}+(?:site|portal|outlet|website)|{_MEDIA_NOUNS})(?:{_SP}+in{_SP}+[{_UPPER}][\w-]+)?)|(?<!\b[Tt]he{_SP})(?<!\b[Aa]n{_SP})(?<!\b[Aa]{_SP})(?P<body_noun>(?:[a-z]+(?:['’]s|s['’])?{_SP}+)?(?:(?:industry|trade|business){_SP}+)?(?:{_BODY_AFTER}))|"
    rf"(?P<staff>{_STAFF})|{_SPOKESPEOPLE}))?"
    rf"(?:(?P<appositive>{_APPOSITIVE})|,{_SP}+who|,{_SP}+which(?={_SP}+{_ADVERBS}{_WHICH_SAID})|,)?{_SP}+{_ADVERBS}"
    rf"(?:[a-z]{{3,}}ed{_SP}+and{_SP}+(?=said\b|told\b|added\b|warned\b))?"
    rf"(?P<verb>{_VERBS})\b"
    rf"|(?<=['’]s|s['’]){_SP}+(?:[a-z][\w-]*{_SP}+){{0,3}}?(?:{_FINDINGS})\b"
    rf"|(?<=['’]s|s['’]){_SP}+(?:[a-z][\w-]*{_SP}+){{1,2}}?(?:[{_UPPER}][\w-]*{_SP}+){{0,4}}(?:{_TITLED_FINDINGS})\b"
    rf"|{_SP}+(?P<owner_noun>{_BODY_AFTER})['’]s{_SP}+(?:[a-z][\w-]*{_SP}+){{0,3}}?(?:{_FINDINGS})\b"
    rf"|{_SP}+(?P<finding>poll|survey|data|figures|tally)\b"
    rf"(?!{_SP}+(?:firm|company|provider|group|agency|analytics|platform|service|centre|center)\b)"
)
"""What follows a source named first: a verb (``Reuters reported``, ``Xinhua news agency
reported``, ``The Nikkei business daily reported``, ``The Daily Mirror newspaper in Colombo said``,
``Ruiz, the governor, said``), or a finding it owns (``Reuters' tally``, ``a YouGov poll``). Its
words are lower case, so it can never follow a shorter part of a run of names."""
SOURCE_FIRST = re.compile(rf"(?P<name>{NAME})(?:{_ATTRIBUTION.pattern})")
"""The pattern as a whole says what counts; it is not run as a whole, since at every capital letter of
a long run of capitalised words it would re-read the run to its end (48 KB took 86 s). ``_NAME``
and ``_ATTRIBUTION`` are its two halves, run so that each run of names is read once."""
_NAME = re.compile(NAME)

_DESCRIBED_NOUNS = "|".join(sorted(names.ORG_DESCRIPTORS | {"portal", "consultancy", "institute", "agency"}))
"""``according to the property portal ImmoScout24``: a body's kind between the phrase and its name."""
_MEDIA_PLURALS = "broadcasters|newspapers|channels|stations|dailies|magazines|tabloids|networks"
_MEDIUM_BEFORE = (
    rf"(?:(?:the|a|an){_SP}+)?(?:(?!(?:for|by|of|to|and|in|on|at|from|with)\b)[\w-]+{_SP}+){{0,2}}?"
    rf"(?:{_MEDIA_PLURALS}|{_MEDIA_NOUNS}|journal|radio{_SP}+station|station|network|programme|show|outlet|paper|"
    rf"news{_SP}+(?:site|portal)|site|publication)"
    rf"{_SP}+"
)
_LOWER_TITLES = "|".join(
    sorted((w for w in names.TITLE_WORDS | {"lead"} if len(w) > 3), key=len, reverse=True)
)
"""The job words a reporter puts, in lower case, between "said" and a name: "said lead investigator
Dr. Halima Abdulkadir", "said senior economist Ana Reyes"."""
_ROLES = "|".join(sorted(names.ROLE_WORDS, key=len, reverse=True))
_PHRASES = (
    "[Aa]ccording to|reported by|cited by|quoted by|published by|published in|reported in|"
    "(?:[Ii]n )?an interview with|told|telling|citing|[Ss]peaking (?:to|on|with)|wrote in|writing in|"
    "an? (?:article|editorial|op-ed|column) (?:in|for)|polled by|surveyed by|conducted by|"
    "(?:published|released|issued) (?:on|last|this|earlier) [\\w-]+ by|"
    "compiled by|first reported by|measured by|calculated by|estimated by|recorded by|collected by|"
    "released by|confirmed by|provided by|announced by|seen by|obtained by|reviewed by|broadcast by|aired by|"
    "[Aa]n? (?:[a-z]+ )?(?:report|study|survey|poll|analysis|review|investigation|audit|statement|"
    "tally|estimate|forecast|assessment|projection|calculation|count) "
    "(?:(?:published|released|issued|commissioned|compiled)(?: (?:on|last|this|earlier|in) [\\w-]+)? )?"
    "(?:by|from|for|in)|"
    "(?:estimates|forecasts|calculations|projections|studies|surveys|polls) (?:by|from)|"
    "(?:data|figures|statistics)(?:,)? from|"
    "[Aa]n? (?:spokesman|spokeswoman|spokesperson) for|[Ll]awyers for|[Aa]nalysts at|"
    "citing (?:(?:two|three|several|unnamed|anonymous|senior|government) ){0,2}"
    "(?:officials|sources|executives) "
    "(?:at|from|with)|"
    "(?:by|from) (?:a team of )?(?:researchers|scientists|economists|experts|academics) (?:at|from)|"
    rf"(?:said|says|explained|added|wrote)(?={_SP}+[{_UPPER}])|"
    rf"(?:quoted|cited){_SP}+(?:(?:an?|the){_SP}+)?(?:[a-z][\w-]*{_SP}+){{0,2}}?(?:{_LOWER_TITLES}|{_ROLES}),?"
    rf"(?={_SP}+[{_UPPER}])|"
    rf"(?:quoted|cited)(?={_SP}+[{_UPPER}])|"
    rf"(?:said|says|added){_SP}+(?:[a-z][\w-]*{_SP}+){{0,2}}?(?:{_LOWER_TITLES})(?={_SP}+[{_UPPER}])|"
    rf"published{_SP}+(?:(?:on|last|this|earlier|online|today){_SP}+(?:[\w-]+{_SP}+)?)?in(?={_SP}+(?:the{_SP}+)?[{_UPPER}a-z])|"
    rf"(?<!which{_SP})(?<!that{_SP})(?<!who{_SP})(?:polls?|surveys?){_SP}+(?:for|commissioned{_SP}+by)|"
    rf"(?:(?:said|warned|found|wrote|concluded|estimated|noted|argued|stated|added|showed)"
    rf"(?:{_SP}+[a-z]+)?{_SP}+in{_SP}+the|[Ii]n{_SP}+(?:its|their))(?:{_SP}+[a-z]+){{0,2}}?(?={_SP}+[{_UPPER}])|"
    rf"(?:(?:said|warned|found|wrote|concluded|estimated|noted|argued|stated|added|showed)"
    rf"(?:{_SP}+[a-z]+)?{_SP}+)?[Ii]n{_SP}+an?(?={_SP}+[{_UPPER}])|"
    rf"for(?={_SP}+(?:the{_SP}+)?(?:[\w-]+{_SP}+)?(?:{_MEDIA_PLURALS}|broadcaster|newspaper)\b)|"
    rf"(?:report|study|survey|analysis|review|research|paper|project),?{_SP}+led{_SP}+by"
)
PHRASE_FIRST = re.compile(
    rf"\b(?P<phrase>{_PHRASES}){_SP}+(?P<medium>{_MEDIUM_BEFORE})?(?:(?:the|its|their){_SP}+)?"
    rf"(?:(?:state|government|privately|publicly|family)-(?:run|owned|backed|funded){_SP}+)?"
    rf"(?P<described>(?:[a-z][\w-]*{_SP}+){{0,2}}(?:{_DESCRIBED_NOUNS}){_SP}+)?(?P<name>{NAME})"
)
"""``according to the New York Times``, ``told the state broadcaster ERT``, ``said John Smith``,
``polled by the Financial Times``, ``a study by the University of Leeds``."""
_SAID = frozenset({"said", "says", "explained", "added", "wrote"})
_CLAUSE_GOES_ON = re.compile(
    rf"{_SP}+[a-z]|,[^,.;:\n]{{1,60}},{_SP}+(?:had|has|was|is|were|would|will|could|did|should|must)\b"
)
"""``said Moscow was studying``, ``said Dieter S., 40, had scouted``, ``said Mowi, the largest producer,
had culled``: a name the sentence goes on from is what was said, not who said it;
the speaker after "said" ends the clause ("said Reuters.", "said Anna Kowalski, who ...")."""
_MEDIUM_AFTER = re.compile(
    rf"(?:,{_SP}+(?:the|an?){_SP}+(?:[\w-]+{_SP}+){{0,2}}?)?{_SP}*(?<=\s)(?:{_MEDIA_NOUNS})\b"
)
"""``told France Info radio``, ``told Sud Ouest, the regional daily``."""
_MEDIUM_IN = re.compile(rf"\b(?:{_MEDIA_NOUNS}|news{_SP}+site|journal)\b(?!['’])")
"""``told France Info radio``, ``Le Progrès, the regional daily, said``: the name is a medium (not
``Phil Baty, the magazine's chief global affairs officer, said``: a role the medium owns)."""
_BODY_NOUNS = "|".join(sorted(names.ORG_DESCRIPTORS | ORGANISATION_WORDS))
_BODY_IN = re.compile(
    rf"^,{_SP}*(?:an?|the|[{_UPPER}][\w-]*['’]s){_SP}+(?:(?!(?:of|at|for|in|with|from|on|to|by)\b)[\w'’-]+{_SP}+){{0,2}}?"
    rf"(?:{_BODY_NOUNS})\b(?!['’]|{_SP}+(?:[\w-]+{_SP}+)?(?:{_LOWER_TITLES})\b)"
    rf"|^,{_SP}*the{_SP}+(?:[\w-]+['’]s{_SP}+)?(?:[\w-]+est|(?:second|third)-[\w-]+est|leading|top|main){_SP}+"
    rf"(?:[\w-]+{_SP}+){{0,2}}?(?!(?:{_LOWER_TITLES})\b)[a-z]+(?:er|or|ist)\b"
)
"""``Alarm Phone, a hotline for migrants in distress, said``: an appositive that opens by naming a
kind of body makes the name a body's."""
_AND_MORE = re.compile(rf"{_SP}+and{_SP}+(?:the{_SP}+)?(?P<name>{NAME})")
"""``told Reuters and the BBC``: more sources after one named after a phrase."""
_LIST_BEFORE = re.compile(rf"(?P<name>{NAME})(?:,{_SP}*(?:and{_SP}+)?|{_SP}+and{_SP}+)(?:the{_SP}+)?$")
"""``The Associated Press, Agence France-Presse and The Globe and Mail reported``: one of a list."""
_LIST_WINDOW = 80
_SENTENCE_START = re.compile(r"""(?:^|[.!?]['"’”]?\s+|\n\s*|[“"(]\s*)$""")
_PLURAL_ROLE = re.compile(r"(?:ers|ors|ists|ians|ants|ents)$")
_PLACES_BEFORE = frozenset({"in", "near", "outside", "inside", "across", "around", "into", "to", "of"})
"""Before a name found first, a word that makes it a place or what a noun is "of" ("a resident of
Kassala told", "the head of Nato said": neither is the source)."""
_PLACE_ADJECTIVES = frozenset({
    "northern", "southern", "eastern", "western", "central", "north", "south", "east", "west",
    "rural", "coastal", "downtown", "neighbouring", "neighboring", "occupied", "war-torn",
})  # fmt: skip
_MEDIA_BEFORE = frozenset({
    "newspaper", "broadcaster", "television", "radio", "daily", "weekly", "magazine", "website",
    "tabloid", "channel", "journal", "station", "programme", "publication", "outlet",
})  # fmt: skip
"""The word before a name that makes it a medium ("Local radio station Radio Bío-Bío reported")."""


def _words_before(text: str, start: int, count: int = 2, reach: int = 30) -> list[str]:
    """The last ``count`` words before ``start`` ("the" left out), from a window of fixed size:
    a look at the context costs the same however long the text."""
    words = text[start - reach if start > reach else 0 : start].rsplit(None, count + 1)
    return [w for w in words if w != "the"][-count:]


_TOLD_NOT_MEDIA = frozenset({
    "parliament", "congress", "senate", "court", "committee", "commission", "council", "jury",
    "inquiry", "tribunal", "hearing", "assembly", "police", "lawmakers",
})  # fmt: skip
"""Who is "told" without publishing it: "told Parliament", "told the Securities and Exchange
Commission". After "told", any other name is the medium that carried the words."""
_PHRASE_KINDS = {
    "published in": "publication", "reported in": "publication", "wrote in": "publication",
    "writing in": "publication", "polled by": None, "lawyers for": "organisation",
    "analysts at": "organisation", "officials at": "organisation", "broadcast by": "publication",
    "aired by": "publication",
    "titled": "document", "for": "publication",
}  # fmt: skip


@dataclass
class _Hit:
    name: str
    start: int
    kind: str | None = None
    final: bool = False  # named in full already: no surname or short form to expand


@dataclass(frozen=True)
class _Raw:
    """A name where an attribution puts it, before it is cleaned: its span and what was around it."""

    name: str
    start: int
    end: int
    phrase: str = ""
    medium: bool = False
    body: bool = field(default=False, compare=False)
    verb: str = field(default="", compare=False)
    finding: bool = field(default=False, compare=False)
    """``body``, ``verb``, ``finding``: what the attribution says of the name's kind. Hits are the
    same hits (tests/test_trust_references.py) when their names, spans, phrase and medium are."""


def _source_first(text: str, runs: list[re.Match] | None = None) -> Iterator[_Raw]:
    """Every match of ``SOURCE_FIRST``, found in linear time.

    A name is a maximal run of capitalised words (with connectors); starting at any capital
    inside a run reaches the same end, and a shorter name can never be followed by the
    attribution (inside a run the next character is a space then a capital, a number or a
    connector, and an attribution's words are none of these). So the leftmost match, which the
    regex would find, is the whole run when the attribution follows its end, and there is none
    in that run otherwise: each run is read once, its end tested once. Every run is added to
    ``runs`` when given, so the full names a surname may stand for need no second reading.
    """
    position = 0
    while (name := _NAME.search(text, position)) is not None:
        if runs is not None:
            runs.append(name)
        attribution = _ATTRIBUTION.match(text, name.end())
        if attribution is None:
            position = name.end()
            continue
        if attribution.group("body_noun") is not None and _DEMONYM.match(name.group().removeprefix("The ")):
            position = attribution.end()  # "The U.N. refugee agency said": a qualifier, not a name
            continue
        owner = _unit_owner(name.group(), attribution.group("body_noun")) if (
            attribution.group("body_noun") is not None
        ) else None
        if owner:  # "The African Union's observer mission said", "Shell's Nigerian unit said"
            yield _Raw(owner, name.start(), name.start() + len(owner), body=True,
                       verb=_verb_key(text, attribution))
            position = attribution.end()
            continue
        if attribution.group("body_noun") is not None and name.group().endswith(("'s", "’s")):
            position = attribution.end()  # "France's farm ministry said": the owner is not the body
            continue
        appositive = attribution.group("appositive")
        if appositive is not None and runs is not None:  # "Roscosmos, Yuri Borisov, said": a surname later
            runs.extend(_NAME.finditer(text, attribution.start("appositive"), attribution.end("appositive")))
        medium = attribution.group("medium") is not None or (
            appositive is not None and _MEDIUM_IN.search(appositive) is not None
        )
        staff = attribution.group("staff") is not None
        if staff and (_DEMONYM.match(name.group()) or names.plain(name.group()) in names.COMMON_WORDS):
            position = attribution.end()  # "Chinese analysts said", "Some economists said": no body
            continue
        owned = attribution.group("owner_noun") is not None  # "The Ifo institute's index fell"
        owned = owned or _ITS_AFTER.match(text, attribution.end()) is not None  # "X cut its forecast"
        body = staff or owned or attribution.group("body_noun") is not None or (
            appositive is not None and not medium and _BODY_IN.search(appositive) is not None
        )
        yield _Raw(name.group(), name.start(), name.end(), medium=medium, body=body,
                   verb=_verb_key(text, attribution), finding=attribution.group("finding") is not None)
        position = attribution.end()


_OWNED_UNITS = frozenset({"unit", "division", "subsidiary", "affiliate"})
"""A body's own parts: whoever owns one is a body ("Bancolombia's research unit said")."""


def _unit_owner(run: str, noun: str = "") -> str | None:
    """The body that owns a lower-case unit of its own that speaks ("The African Union's observer
    mission said", "Shell's Nigerian unit said": the AU, Shell): a body's name or a short form, never
    a country's or a place's possessive ("France's farm ministry said" is France's ministry)."""
    words = run.split()
    split = (words, []) if words[-1].endswith(("'s", "’s")) else names.possessive_split(words)
    if split is None or (split[1] and not all(_DEMONYM.match(w) for w in split[1])):
        return None
    owner = names.without_possessive(" ".join(split[0]))
    bare = " ".join(names.drop_article(owner.split()))
    if not bare or bare.lower() in _COUNTRY_WORDS or names.plain(bare) in CAPITALS or _DEMONYM.match(bare):
        return None
    if said_by_words(bare) or _ACRONYM.match(bare) or (" " not in bare and split[1]) or (
        " " not in bare and noun.split()[-1:] and noun.split()[-1] in _OWNED_UNITS
    ):
        return run[: len(owner)]
    return None


def _verb_key(text: str, attribution: re.Match) -> str:
    """ "reported" when a name "reported" something a paper reports: "X reported that", "X reported
    on Tuesday", "X first reported the findings", "..., X reported."; else the verb itself. A body
    that "reported a loss" is not a paper."""
    verb = attribution.group("verb")
    if verb not in ("reported", "reports"):
        return verb or ""
    if _FIRST_REPORTED.search(text, attribution.start("verb") - 12, attribution.start("verb")):
        return "reported"  # "The Information first reported the layoffs": a scoop is a paper's
    return "reported" if _REPORTED_NEWS.match(text, attribution.end()) else "reported-other"


_FIRST_REPORTED = re.compile(rf"\b(?:first|exclusively){_SP}+$")
_REPORTED_NEWS = re.compile(
    rf"(?:[.,;:)\]\n]|$|{_SP}+(?:that|on|in|last|earlier|this|late|overnight|citing|,|"
    rf"the{_SP}+(?:findings|news|plan|move|deal|decision|talks|arrests?|death|story)))"
)


def _phrase_first(text: str) -> Iterator[_Raw]:
    """The names after phrases (``_after_phrases``) and the titles of documents named in apposition
    (``_titled_documents``), in text order, none overlapping another."""
    found = sorted([*_after_phrases(text), *_titled_documents(text)], key=lambda r: r.start)
    end = -1
    for raw in found:
        if raw.start >= end:
            yield raw
            end = raw.end


_TITLED = re.compile(
    rf"\b(?:[Tt]he|[Aa]n?|[Ii]ts|[Tt]heir)(?:{_SP}+[a-z][\w-]*)?{_SP}+"
    rf"(?:report|study|survey|review|assessment|paper|audit|analysis|index|outlook|strategy|white{_SP}+paper)"
    rf"(?:{_SP}+(?:by|from|of){_SP}+[^,.;:\n]{{1,60}}?)?,{_SP}+"
    rf"(?:(?:titled|entitled|called|named){_SP}+)?[“\"]?"
    rf"(?P<title>[{_UPPER}][\w’'-]*(?:{_SP}+(?:[{_UPPER}0-9][\w’'-]*|of|in|and|for|the|on|to|a|at|with|from|&))+)"
    rf"[”\"]?,"
)
"""``The report, titled Natural Catastrophes in 2024, said``, ``A report by the King's Fund, Waiting
for Care, found``: a document's title set off by commas after the document's noun."""


_OWNED_TITLE = re.compile(
    rf"(?:['’]s|(?<=s)['’]){_SP}+(?:[a-z][\w-]*{_SP}+){{0,2}}?"
    rf"(?P<title>(?:[{_UPPER}][\w-]*{_SP}+){{1,4}}(?:{_TITLED_FINDINGS}))\b(?!{_SP}+[{_UPPER}])"
)
"""``the Environment Agency's annual Environmental Performance Assessment``: a document named
after its owner's possessive (the owner is found as a source by ``_ATTRIBUTION``)."""


def _titled_documents(text: str) -> Iterator[_Raw]:
    """Documents named by their titles: in apposition after a document's noun, or after an owner."""
    for match in _TITLED.finditer(text):
        title = match.group("title")
        if title.split()[-1] in _TITLE_CONNECTORS:
            continue
        yield _Raw(title, *match.span("title"), phrase="titled")
    for match in _OWNED_TITLE.finditer(text):
        yield _Raw(match.group("title"), *match.span("title"), phrase="titled")


_TITLE_CONNECTORS = frozenset({"of", "in", "and", "for", "the", "on", "to", "a", "at", "with", "from", "&"})


_COMMISSIONED = re.compile(rf"^(?P<by>[{_UPPER}][\w-]+){_SP}+for{_SP}+(?:the{_SP}+)?(?P<for>\S.*)$")
"""One name after "a poll by" that is two: the pollster's one word, then "for" its client."""
_NOT_POLLSTERS = frozenset(ORGANISATION_WORDS | names.COMMON_WORDS | names.ORG_DESCRIPTORS | {
    "centre", "center", "institute", "council", "commission", "committee", "office", "agency",
})  # fmt: skip
"""A first word that opens a body's name ("Centre for Economic Performance"), not a pollster's."""


def _after_phrases(text: str) -> Iterator[_Raw]:
    """Every match of ``PHRASE_FIRST`` (anchored by its phrases, so already linear: the name after
    a phrase is read once and the search goes on after it), and the names listed after it."""
    for match in PHRASE_FIRST.finditer(text):
        phrase = _phrase_key(match.group("phrase"))
        if phrase in _SAID and _CLAUSE_GOES_ON.match(text, match.end("name")) and not _person_of_body(
            match.group("name")
        ):
            titled = _TITLE_THEN_NAME.match(text, match.end("name"))
            if titled is not None:  # "said Jefferies analyst Clara Vestergaard"
                yield _Raw(titled.group("name"), *titled.span("name"), phrase=phrase)
            continue
        if phrase == "in its" and not (_names_a_document(match.group("name"))
                                       or _DOCUMENT_AFTER.match(text, match.end("name"))):
            continue  # "said in its annual Emissions Gap Report", not "in its Paris office"
        if phrase == "in a" and not (_CARRIED_IN.match(text, match.end("name"))
                                     or _names_a_document(match.group("name"))):
            continue  # "in a Fox News interview", "said in a Gallup poll", not "in a Paris"
        named = _AFTER_NAMED.search(text, max(0, match.start() - 3), match.start())
        if phrase.startswith("a spokes") and named:
            continue  # "said Christoph Podewils, a spokesman for the Agora Energiewende think tank"
        if _DECLINED.match(text, match.end("name")):
            continue  # "A spokesperson for Microsoft, a major customer, declined to comment"
        if phrase in ("quoted", "cited") and not _AS_SAYING.match(text, match.end("name")):
            continue  # "quoted Commerce Minister Wang Wentao as saying", not "cited Reuters data"
        medium = bool(match.group("medium")) or bool(_MEDIUM_AFTER.match(text, match.end("name")))
        if phrase == "told" and match.group("described") is not None:
            continue  # "Survivors told the charity Sea-Watch": a body told something publishes nothing
        commissioned = _COMMISSIONED.match(match.group("name")) if phrase.endswith(" by") else None
        if commissioned is not None and names.plain(commissioned.group("by")) not in _NOT_POLLSTERS:
            # "a poll by Ifop for the Journal du Dimanche": who polled, and for whom
            start = match.start("name")
            yield _Raw(commissioned.group("by"), start, start + commissioned.end("by"), phrase=phrase)
            yield _Raw(commissioned.group("for"), start + commissioned.start("for"), match.end("name"),
                       phrase="for")
            continue
        yield _Raw(match.group("name"), *match.span("name"), phrase=phrase, medium=medium,
                   body=match.group("described") is not None)
        end = match.end("name")
        while (more := _AND_MORE.match(text, end)) is not None:
            yield _Raw(more.group("name"), *more.span("name"), phrase=phrase, medium=medium)
            end = more.end()


_CARRIED_IN = re.compile(
    rf"{_SP}+(?:interview|broadcast|podcast|documentary|column|editorial|op-ed|article|report|"
    rf"survey|poll|study|analysis)\b"
)
"""``in a Fox News interview``, ``in a Gallup poll``: the name is what carried or made the finding."""
_ITS_AFTER = re.compile(rf"{_SP}+its\b")
"""``Strategie Grains cut its forecast``: what did it is a body (a person's is "his" or "her")."""
_AFTER_NAMED = re.compile(rf"\w,{_SP}$")
"""``Christoph Podewils, a spokesman for X``: the spokesman is named, so the person is the source."""
_DECLINED = re.compile(
    rf"(?:,[^,.;:\n]{{1,60}},)?{_SP}+(?:(?:also|has|have|had|again){_SP}+)?(?:declined|refused|"
    rf"did{_SP}+not{_SP}+(?:immediately{_SP}+)?(?:respond|reply|return|comment|answer)|"
    rf"could{_SP}+not{_SP}+be{_SP}+reached|was{_SP}+not{_SP}+available|were{_SP}+not{_SP}+available|"
    rf"had{_SP}+no{_SP}+(?:immediate{_SP}+)?comment|would{_SP}+not{_SP}+comment|"
    rf"(?:was|were){_SP}+unavailable)\b"
)
"""Who was asked and said nothing is no source: "a spokesperson for X declined to comment"."""
_AS_SAYING = re.compile(
    rf"(?:,[^,.;:\n]{{1,60}},|,)?{_SP}+as{_SP}+(?:saying|telling|writing|stating|calling|urging|warning|adding)\b"
)
"""``quoted X as saying``: the words are X's."""
_TITLE_THEN_NAME = re.compile(
    rf"{_SP}+(?:[a-z][\w-]*{_SP}+){{0,2}}?(?:{_LOWER_TITLES}){_SP}+(?P<name>{NAME})"
)


_ONLY_A_NAME = re.compile(
    rf",{_SP}*[{_UPPER}][\w'’-]+(?:{_SP}+[{_UPPER}][\w'’-]+){{1,3}},{_SP}+{_ADVERBS}(?:{_VERBS})\b"
)
"""An appositive that is only a person's name, two to four capitalised words, before the verb
("Roscosmos, Yuri Borisov, said"): the name in commas speaks."""


def _apposed(raw: _Raw, text: str) -> _Hit | None:
    """ "China's ambassador to the United States, Xie Feng, said": when the name before the verb is
    a place, the name set off by commas after it is the speaker's."""
    apposed = _APPOSED_SPEAKER.match(text, raw.end) if raw.verb else None
    if apposed is None:
        return None
    return _hit(_Raw(apposed.group("name"), *apposed.span("name"), verb=raw.verb), text)


_SPEAKER_AT = re.compile(rf"(?P<name>{NAME}){_SP}+(?:at|in|of){_SP}+(?:the{_SP}+)?$")


def _speaker_before(text: str, start: int) -> re.Match | None:
    """The person or body named just before "at", "in" or "of" and the name that is followed by the
    verb: "Researchers at ..." names no one, "the Vaccine Confidence Project at the London School of
    Hygiene said" names the project (a fixed window: one look per hit)."""
    window_start = max(0, start - 100)
    found = _SPEAKER_AT.search(text, window_start, start)
    if found is None or (found.start() == window_start and window_start > 0):
        return None
    _skipped, name, kind = _parsed(found.group("name"))
    if name and lookup(name):  # "The Sunday Times in Colombo reported"
        return found if text.startswith(" in ", found.end("name")) else None
    if not name or names.plain(name.split()[0]) in names.COMMON_WORDS:
        return None
    if kind == "person" or (" " in name and classify(name) == "person"):
        return found
    return found if said_by_words(name) and classify(name) == "organisation" else None


_APPOSED_SPEAKER = re.compile(rf",{_SP}*(?P<name>{NAME}),{_SP}+{_ADVERBS}(?:{_VERBS})\b")


def _names_a_document(name: str) -> bool:
    return classify(" ".join(names.trim_time(name.split()))) == "document"


@functools.lru_cache(maxsize=1024)
def _phrase_key(phrase: str) -> str:
    """The phrase as ``_PHRASE_KINDS`` and ``_SAID`` know it: "said senior economist" is a "said",
    "published on Monday in" a "published in"."""
    words = phrase.lower().split()
    if words[-2:-1] == ["in"] and words[-1] in ("a", "an"):
        return "in a"  # "in a Fox News interview", "said in a Gallup poll"
    if "in" in words[1:-1] and words[words.index("in", 1) + 1] == "the":
        return "in its"  # "warned in the Global Tipping Points Report": a document, like "in its"
    if words[0] in _SAID or (words[0] in ("quoted", "cited") and words[-1] != "by"):
        return words[0]  # not "quoted by the TASS news agency": a phrase of its own
    if words[0] == "published" and words[-1] == "in":
        return "published in"
    if words[0] == "in" and words[1] in ("its", "their"):
        return "in its"
    if words[0] == "for":
        return "for"  # "a poll by Forsa for broadcasters RTL and n-tv"
    if words[-1] == "by" and words[-2] == "led":
        return "led by"
    if words == ["telling"]:
        return "told"  # "welcomed the cut, telling Radio New Zealand it was good news"
    if words[0] == "citing" and words[-1] in ("at", "from", "with"):
        return "officials at"  # "citing unnamed officials at the Central Bank of Nigeria": a body's people
    return " ".join(words)


def _person_of_body(name: str) -> bool:
    """ "said Marta Quiroga of the CGT labour federation": the name goes on after the speaker, but
    the speaker is named first, so the clause is who said it, not what."""
    return names.person_of_body(name.split(), _is_person) is not None


def _listed_before(text: str, raw: _Raw) -> Iterator[_Raw]:
    """The names listed before one found first in its sentence ("A, B and C reported").

    Only when the last step back is an "and" (a list, not "In Paris, Reuters reported"); each step
    reads a window of fixed size, and a list holds at most a few names.
    """
    start, first = raw.start, True
    described = _DESCRIBED_IN_LIST.search(text, max(0, start - 60), start)
    if described is not None:  # "The World Food Programme and the U.N. refugee agency UNHCR warned"
        start = described.start("described")
    if " and " in raw.name and len(_pair(raw, text)) > 1:
        first = False  # "A, the B and C warned": the run "B and C" holds the list's "and" itself
    elif not text[start - 9 if start > 9 else 0 : start].rstrip().endswith(("and", "and the")):
        return
    for _ in range(6):
        window = text[max(0, start - _LIST_WINDOW) : start]
        found = _LIST_BEFORE.search(window)
        if found is None or (first and "and" not in window[found.end("name") :]):
            return
        offset = start - len(window)
        yield _Raw(found.group("name"), offset + found.start("name"), offset + found.end("name"))
        start, first = offset + found.start("name"), False


_DESCRIBED_IN_LIST = re.compile(
    rf"\band{_SP}+(?:the{_SP}+)?(?P<described>(?:(?:(?:[A-Za-z]\.)+|[\w'’-]+){_SP}+){{0,3}}?"
    rf"(?:{_BODY_NOUNS}|{_MEDIA_NOUNS}){_SP}+)$"
)
"""The words that say what the last of a list is, between its "and" and its name."""


def _pair(raw: _Raw, text: str = "") -> list[_Raw]:
    """ "the World Health Organization and UNICEF said": two bodies in one run of names, when each
    side stands as a name of its own (a known source, an acronym, or ending in a body's or a
    paper's word), or when the words after the run say it is two ("Airbus and Boeing both said",
    "Unite and GMB, which represent"); "Procter and Gamble" and "National Geology and Mining
    Service" stay whole."""
    left, sep, right = raw.name.rpartition(" and ")
    if not sep or "," in left:
        return [raw]
    body, medium = raw.body, raw.medium
    kinds_before = _KINDS_BEFORE.search(text, max(0, raw.start - 40), raw.start) if text else None
    if kinds_before is not None and len(left.split()) <= 3 and len(right.split()) <= 3:
        medium = medium or kinds_before.group("media") is not None  # "the transport unions USB and Orsa said"
        body = body or not medium
    elif text and _TWO_AFTER.match(text, raw.end) and not raw.medium and len(right.split()) <= 3 and not (
        {"of", "for"} & set(left.split())  # "Centers for Disease Control and Prevention say"
    ):
        pass
    elif text and _named_alone_nearby(left, right, raw, text):
        pass  # "Greenpeace and Oxfam said ... said Oxfam's climate policy lead"
    elif text and len(left.split()) <= 3 and len(right.split()) <= 3 and _opens_a_list(text, raw.start):
        pass  # "Tata Motors, Mahindra & Mahindra and Maruti Suzuki reported": the last two of three
    elif (lookup(left) or lookup(right)) and len(left.split()) <= 4 and len(right.split()) <= 4 and (
        not lookup(raw.name)  # "Mail and Guardian" is one paper
    ):
        medium = medium or bool(lookup(left) and lookup(right)) or raw.verb == "reported" or (
            classify(left if lookup(right) else right) == "publication"
        )  # "The Times of Israel and Channel 12 reported": a known source is a name of its own
    elif not _stands_alone(right):
        return [raw]
    elif not _stands_alone(left):
        if _BRAND.match(right) is None or len(left.split()) < 2:
            return [raw]
        body = body or not raw.medium  # two of a kind: beside a brand's name, a body's
    return [
        _Raw(left, raw.start, raw.start + len(left), raw.phrase, medium, body),
        _Raw(right, raw.end - len(right), raw.end, raw.phrase, medium, body),
    ]


_ALONE_REACH = 1500
_LIST_OPENS = re.compile(
    rf"""(?:^|[.!?]['"’”]?\s+|\n\s*|[—–]{_SP}+|(?<=\w){_SP}+-{_SP}+)(?:The{_SP}+)?(?P<first>{NAME}),{_SP}+$"""
)


def _opens_a_list(text: str, start: int) -> bool:
    """ "Tata Motors, Mahindra & Mahindra and Maruti Suzuki reported": a name and a comma that open the
    sentence before a run with "and" make it a list's last two (not "In March, Procter and Gamble said")."""
    found = _LIST_OPENS.search(text, max(0, start - 60), start)
    if found is None:
        return False
    first = found.group("first").split()
    return names.plain(first[0]) not in names.COMMON_WORDS and not _refused(
        found.group("first"), None, "", False
    )



def _named_alone_nearby(left: str, right: str, raw: _Raw, text: str) -> bool:
    """ "Greenpeace and Oxfam said ..., said Oxfam's ...": two one-word names joined by "and" are
    two when either stands alone nearby ("Procter and Gamble" never does)."""
    if " " in left or " " in right or not left[:1].isupper() or not right[:1].isupper():
        return False
    alone = _alone_words(text)
    for word in (left, right):
        if names.plain(word) in names.COMMON_WORDS:
            continue  # "Law and Justice": "Justice Minister" is no sign
        places = alone.get(word, ())
        at = bisect.bisect_left(places, raw.start - _ALONE_REACH)
        if any(p < raw.start or p >= raw.end for p in places[at : at + 8] if p < raw.end + _ALONE_REACH):
            return True
    return False


_CAPITALISED = re.compile(rf"(?<![\w&'’-])[{_UPPER}][\w-]*(?![\w&-])")
_JOINED_AFTER = re.compile(rf"{_SP}+(?:and|&|[{_UPPER}])")
_CAPITALISED_BEFORE = re.compile(rf"(?:[{_UPPER}][\w-]*|\band|&){_SP}+$")


@functools.lru_cache(maxsize=2)
def _alone_words(text: str) -> dict[str, list[int]]:
    """Where each capitalised word stands alone (not inside a longer run of names, nor before
    "and"): read once per text, and only when a text has two one-word names joined by "and"."""
    places: dict[str, list[int]] = {}
    for word in _CAPITALISED.finditer(text):
        if _JOINED_AFTER.match(text, word.end()) or _CAPITALISED_BEFORE.search(
            text, max(0, word.start() - 30), word.start()
        ):
            continue
        places.setdefault(word.group(), []).append(word.start())
    return places


_TWO_AFTER = re.compile(
    rf"(?:{_SP}+(?:both|each|jointly|together)\b|,{_SP}+(?:which|who){_SP}+(?:represent|have|are|were|say|run|own)\b"
    rf"|{_SP}+(?:said|say){_SP}+(?:they|in{_SP}+a{_SP}+joint)\b|{_SP}+(?:say|have|are|were)\b"
    rf"|{_SP}+(?:unions|parties|groups|federations|associations|companies|banks|agencies)\b)"
)
"""Words after "A and B" that make them two: a plural verb or pronoun, "both", "a joint statement",
a plural body's noun ("the CGT and SUD-Rail unions said")."""


_KINDS_BEFORE = re.compile(
    rf"\b(?:unions|parties|groups|companies|firms|banks|agencies|associations|federations|carmakers|"
    rf"airlines|lenders|insurers|retailers|clubs|pollsters|regulators|(?P<media>broadcasters|newspapers|"
    rf"dailies|channels)){_SP}+$"
)
"""A plural kind just before "A and B" says they are two: "the transport unions USB and Orsa said"."""


def _stands_alone(part: str) -> bool:
    words = names.drop_article(part.split())
    if not words or lookup(part):
        return bool(words)
    owned = names.possessive_split(words)
    if owned is not None and not lookup(names.without_possessive(" ".join(owned[0]))):
        words = owned[1]  # "South Korea's Aviation and Railway ... Board": "Aviation" alone stands not
    if len(words) == 1:
        return _ACRONYM.match(words[0]) is not None
    if len(words) <= 3 and _ACRONYM_WORD.match(words[0]):
        return True  # "SK Hynix", "BNP Paribas": a short form opening a name makes it a body's
    last = names.plain(words[-1])
    return last in ORGANISATION_WORDS or last in PUBLICATION_WORDS


_ACRONYM = re.compile(r"^(?:[A-Z]{2,8}|(?!Ma?c)[A-Za-z][a-z]*[A-Z][a-z]\w*)$")
"""One word that is a name by its own shape: "UNICEF", "YouGov", "CVoter", "easyJet"."""
_BRAND = re.compile(r"^(?!Ma?c)[A-Za-z][a-z]*[A-Z][a-z]\w*$")
"""``Axis My India and CVoter``: a one-word brand after "and" ends a list of two bodies."""


_LISTING_HEADS = r"(?:Ministry|Department|Secretariat|Commission|Committee|Office|Agency|Bureau|Council)"
_WORD = rf"[{_UPPER}][\w’'-]*"
_LISTING_BEFORE = re.compile(
    rf"(?P<head>(?:{_WORD}['’]s{_SP}+|(?:[{_UPPER}]\.)+{_SP}+)?\b{_LISTING_HEADS}{_SP}+(?:of|for)(?:{_SP}+the)?{_SP}+{_WORD}(?:{_SP}+{_WORD})?),{_SP}+"
    rf"(?:{_WORD}(?:{_SP}+{_WORD})?,{_SP}+){{0,3}}$"
)
_LISTING_AFTER = re.compile(
    rf"(?:,{_SP}+{_WORD}(?:{_SP}+{_WORD})?){{1,4}}?,?{_SP}+and{_SP}+{_WORD}(?:{_SP}+{_WORD}){{0,2}}"
)
_LISTING_NAME = re.compile(rf"^(?:the{_SP}+|{_WORD}['’]s{_SP}+)?{_LISTING_HEADS}{_SP}+(?:of|for)\b")
_FIELDS_HEADS = r"(?:Union|Association|Federation|Committee|Council|Commission|Authority|Board)"
_FIELDS_AFTER = re.compile(
    rf"(?:,{_SP}+(?P<field>{_WORD}(?:{_SP}+{_WORD})?)){{1,3}},?{_SP}+and{_SP}+{_WORD}(?:{_SP}+{_WORD}){{0,2}}"
    rf"{_SP}+{_FIELDS_HEADS}\b"
)
"""``the Environment, Food and Rural Affairs Committee``: a body named by the fields it covers, read on
past the commas from its first field."""
_MEMBERS_BEFORE = re.compile(
    rf"\b[Tt]he{_SP}+(?P<head>{_WORD}(?:{_SP}+{_WORD}){{0,3}}),{_SP}+(?:{_WORD}(?:{_SP}+{_WORD})?,{_SP}+){{0,2}}$"
)
_MEMBERS_NAME = re.compile(
    rf"^{_WORD}(?:{_SP}+{_WORD})?{_SP}+and{_SP}+(?:{_WORD}{_SP}+){{1,2}}{_FIELDS_HEADS}$"
)
"""``The Kenya Medical Practitioners, Pharmacists and Dentists Union``, ``The Environment, Food and Rural
Affairs Committee said``: a body named by the members or fields it lists, read back past the commas
to the article that opens it."""


def _plain_fields(words: str) -> bool:
    """Fields, not a list of sources: no country (but the first word: "Kenya Medical Practitioners"), no
    short form, no known title among them."""
    return all(
        (w.lower() not in _COUNTRY_WORDS or at == 0) and not _ACRONYM_WORD.match(w)
        for at, w in enumerate(words.replace(",", " ").split())
    ) and not any(lookup(part.strip()) for part in re.split(r",|\band\b", words))


_MISSION = re.compile(r"\b(?:Embassy|Consulate|High Commission|Mission|Delegation)$")
_MISSION_PLACE = re.compile(rf"{_SP}+(?:in|to){_SP}+(?:the{_SP}+)?{_WORD}(?:{_SP}+{_WORD})?")


def _listing_name(raw: _Raw, text: str) -> _Raw:
    """A ministry named by the fields it holds, commas inside its name ("the Ministry of Housing,
    Communities and Local Government said", "citing the Ministry of Trade, Industry and Energy"):
    the run of names stops at the comma, so the name is read on past it, or back before it."""
    if " and " in raw.name and "," not in raw.name and text[raw.start - 2 : raw.start] == ", ":
        found = _LISTING_BEFORE.search(text, max(0, raw.start - 120), raw.start)
        if found is not None:
            start = found.start("head")
            return replace(raw, name=text[start : raw.end], start=start)
    if _MISSION.search(raw.name):
        found = _MISSION_PLACE.match(text, raw.end)
        if found is not None:  # "the Chinese Embassy in Bangkok said"
            return replace(raw, name=text[raw.start : found.end()], end=found.end())
    if _LISTING_NAME.match(raw.name) and " and " not in raw.name:
        found = _LISTING_AFTER.match(text, raw.end)
        if found is not None:
            return replace(raw, name=text[raw.start : found.end()], end=found.end())
    if " and " not in raw.name and "," not in raw.name:
        found = _FIELDS_AFTER.match(text, raw.end)
        if found is not None and _plain_fields(text[raw.start : found.end()]):
            return replace(raw, name=text[raw.start : found.end()], end=found.end())
    if _MEMBERS_NAME.match(raw.name) and text[raw.start - 2 : raw.start] == ", ":
        found = _MEMBERS_BEFORE.search(text, max(0, raw.start - 120), raw.start)
        if found is not None and _plain_fields(text[found.start("head") : raw.end]):
            start = found.start("head")
            return replace(raw, name=text[start : raw.end], start=start)
    return raw


def _raw_hits(text: str, runs: list[re.Match] | None = None) -> list[_Raw]:
    """Every attribution, once per place in the text even when two patterns see it.

    Names found after a phrase come first; a name found before a verb is skipped when it
    overlaps one of them. Both lists run left to right without overlaps of their own, so one
    pointer into the first list replaces a scan of every earlier hit.
    """
    found = [part for raw in _phrase_first(text) for part in _pair(_listing_name(raw, text), text)]
    phrase_spans = [(r.start, r.end) for r in found]
    at = 0
    for raw in _source_first(text, runs):
        while at < len(phrase_spans) and phrase_spans[at][1] <= raw.start:
            at += 1
        if at < len(phrase_spans) and phrase_spans[at][0] < raw.end:
            continue
        raw = _listing_name(raw, text)
        found.extend(_pair(raw, text))
        found.extend(_listed_before(text, raw))
    return sorted(found, key=lambda r: r.start)


def _hits(text: str, runs: list[re.Match] | None = None) -> list[_Hit]:
    """The cleaned hits, in text order, each place once."""
    hits, seen = [], set()
    for raw in _raw_hits(text, runs):
        if raw.start in seen:
            continue
        seen.add(raw.start)
        hit = _hit(raw, text)
        if hit is not None:
            hits.append(hit)
            owner = _document_owner(raw.name, text, raw.end) if hit.kind == "document" or raw.phrase else None
            if owner is not None:
                hits.append(_Hit(owner[0], raw.start, owner[1]))
    return hits


def _document_owner(name: str, text: str, end: int) -> tuple[str, str] | None:
    """ "Drewry's World Container Index", "UNICEF's State of the World's Children report": the owner
    of a document cited by its title is cited too."""
    split = names.possessive_split(name.split())
    if split is None:
        return None
    owner, rest = split
    rest_name = " ".join(rest)
    if classify(rest_name) != "document" and not _DOCUMENT_AFTER.match(text, end):
        return None
    owner_name = _clean(" ".join(names.drop_article(owner)))
    if not owner_name or lookup(owner_name) or names.plain(owner_name) in names.COMMON_WORDS:
        return None
    kind = classify(owner_name)
    return owner_name, "organisation" if kind == "document" else kind


_DOCUMENT_AFTER = re.compile(
    rf"{_SP}+(?:report|study|survey|index|review|audit|assessment|outlook|statistics)\b"
)


_KINDS_OF_BODIES = re.compile(
    rf"{_SP}+(?:groups|unions|parties|agencies|associations|organisations|organizations)\b"
)
_ORDINARY_WORD = re.compile(rf"^[{_UPPER}][a-z]+$")


_OPENS = re.compile(rf"""(?:^|[.!?]['"’”]?\s+|\n\s*|[“"(]\s*|[—–]{_SP}+)$""")


def _opens_sentence(text: str, start: int) -> bool:
    """Whether a sentence, or a dateline's copy ("GENEVA — Aid groups warned"), opens here."""
    return start == 0 or _OPENS.search(text, max(0, start - 4), start) is not None


def _hit(raw: _Raw, text: str) -> _Hit | None:
    """The source a raw name stands for, or None when it is not one a person could confirm.

    What the name's own words decide is worked out once per distinct name (``_parsed``); only the
    look at the few characters around this place in the text is done per hit.
    """
    skipped, name, kind = _parsed(raw.name)
    start = raw.start + skipped
    if not name or _refused(name, kind, raw.phrase, raw.medium):
        return _apposed(raw, text)
    if raw.phrase == "told" and kind == "person":
        return None  # "Borisov told President Vladimir Putin": whoever is told, unless a medium, is no source
    if raw.verb and kind != "person" and not lookup(name) and _ONLY_A_NAME.match(text, raw.end):
        return _apposed(raw, text)  # "the head of the space agency Roscosmos, Yuri Borisov, said"
    if raw.body and _KINDS_OF_BODIES.match(text, raw.end) and _opens_sentence(text, raw.start) and (
        _ORDINARY_WORD.match(raw.name)
    ):
        return None  # "Aid groups warned", "Rights groups said": the word says what kind of groups
    before = _words_before(text, raw.start)
    if raw.verb and not raw.phrase and before[-1:] and before[-1] in ("at", "in", "of"):
        speaker = _speaker_before(text, raw.start)
        if speaker is not None and before[-1] == "in" and _MISSION.search(speaker.group("name")):
            start = speaker.start("name")  # "The Chinese Embassy in Bangkok said": the mission's place
            return _hit(_Raw(text[start : raw.end], start, raw.end, verb=raw.verb), text)
        if speaker is not None:  # "The Vaccine Confidence Project at the London School of ... said"
            return _hit(_Raw(speaker.group("name"), *speaker.span("name"), verb=raw.verb), text)
    if _misplaced(name, kind, raw, start, text, before) or _modifies_a_noun(name, raw, text):
        return _apposed(raw, text)
    kind = kind or _context_kind(raw, name, before, text)
    if kind == "publication" and " " not in name and _RADIO_BEFORE.search(text, max(0, start - 16), start):
        station = lookup("Radio " + name)  # "told radio station Mitre": the gazetteer's Radio Mitre
        name = station.name if station and not lookup(name) else name
    if raw.verb and " " not in raw.name and raw.name.endswith(("'s", "’s")) and (
        _SAID_NEXT.match(text, raw.end)
    ):
        name = raw.name  # "Christie's said": a possessive is never a verb's subject, a name's "'s" is
    if raw.phrase and kind in ("organisation", "person") and " " in name and not said_by_words(name) and (
        _DOCUMENT_AFTER.match(text, raw.end)
    ):
        kind = "document"  # "according to UNICEF's State of the World's Children report"
    return _Hit(name, start, kind)


_RADIO_BEFORE = re.compile(rf"\b[Rr]adio(?:{_SP}+station)?{_SP}+$")
_SAID_NEXT = re.compile(rf"{_SP}+{_ADVERBS}(?:said|says|told|added|announced|reported|warned)\b")


@functools.lru_cache(maxsize=16384)
def _parsed(raw_name: str) -> tuple[int, str, str | None]:
    """``(characters skipped at the start, name, "person" if a title said so)`` for a raw name."""
    words = names.trim_time(names.words_of(raw_name))
    skipped = 0
    if lookup(" ".join(words)) is None and (
        names.drop_article(words) is not words
        or (len(words) > 2 and words[0].lower() in _ROMANCE_ARTICLES and lookup(" ".join(words[1:])))
    ):  # "The BBC"; "Il Corriere della Sera": an article the known title leaves out
        skipped = len(words[0]) + 1
        words = words[1:]
    name, kind = _name_and_kind(words)
    return skipped, name, kind


_ROMANCE_ARTICLES = frozenset({"il", "lo", "la", "le", "el", "les", "los", "las", "der", "die", "das"})


def _name_and_kind(words: list[str]) -> tuple[str, str | None]:
    """The name without title, possessive, place; and "person" when a title said so."""
    if lookup(" ".join(words)):
        return " ".join(words), None
    split = names.possessive_split(words)
    if split is not None:
        owner, rest = split
        owner_name = names.without_possessive(" ".join(owner))
        if lookup(owner_name) or classify(owner_name) == "publication":
            return _clean(owner_name), None
        rest_name = " ".join(rest)
        if said_by_words(owner_name) and not _generic_body(rest) and len(owner) > 1 and not (
            said_by_words(rest_name) and classify(rest_name) == "organisation"
        ):  # "CME Group's FedWatch tool": the body owns the tool; "LSE's Centre for ..." is a body
            return _clean(owner_name), None
        if not _generic_body(rest) and not _role_owner(owner[-1]):
            words = rest
        elif len(rest) > 2 and names.plain(names.without_possessive(owner[-1])) in ORGANISATION_WORDS:
            words = rest  # "The Commerce Department's Bureau of Industry and Security": a body's sub-body
    words, medium = names.strip_medium(words)
    if medium:
        return _clean(" ".join(words)), "publication"
    words = _without_trailing_acronym(words)
    if len(words) == 2 and _ACRONYM_WORD.match(words[1]) and _ADJECTIVE.search(words[0]):
        words = words[1:]  # "the Peronist CGT union": the union is the CGT
    words, described = names.strip_descriptor(words)
    after_role = " ".join(words[1:])
    if len(words) > 2 and names.plain(words[0]) in names.ROLE_WORDS and classify(after_role) == "person":
        return _clean(after_role), "person"  # "Passenger Hollis Brand told": a role opens the sentence
    stripped, titled = names.strip_title(words, _BODY_WORDS)
    if titled and (len(stripped) < 2 or classify(" ".join(names.trim_place(stripped))) == "person"
                   or names.particle_opens(stripped) or _place_surname(stripped)):  # "Minister Le Minh Hoan"
        return _clean(" ".join(names.trim_place(stripped))), "person"
    # else a title's word inside a body's name: "Court of Justice of the European Union"
    person = names.person_of_body(words, _is_person)
    if person is not None:
        return _clean(" ".join(person)), "person"
    if described:
        return _clean(" ".join(words)), "organisation"
    if names.only_titles(words):
        return "", None
    return _clean(" ".join(words)), None


def _place_surname(words: list[str]) -> bool:
    """ "Jasper Mayor Richard Ireland": after a title, a given name and a surname that is also a
    country's name is a person's (not "Minister Spain", nor a body's words)."""
    return 2 <= len(words) <= 3 and words[-1].lower() in COUNTRIES and all(
        w.isalpha() and w[:1].isupper() and w.lower() not in ORGANISATION_WORDS
        and w.lower() not in PUBLICATION_WORDS for w in words
    ) and words[0].lower() not in COUNTRIES and not _DEMONYM.match(words[0]) and (
        names.plain(words[0]) not in names.COMMON_WORDS
    )


def _without_trailing_acronym(words: list[str]) -> list[str]:
    """ "The Polish Press Agency PAP": a body's or paper's full name followed by its short form is
    the full name; the short form is only a second way to say it. Its letters must be the name's
    initials, in any order (the short form may be the name's in its own language), so "Cancer
    Research UK" keeps its "UK"."""
    if len(words) > 2 and _ACRONYM_WORD.match(words[-1]) and _stands_alone(" ".join(words[:-1])):
        initials = sorted(w[0] for w in words[:-1] if w[:1].isupper())
        if sorted(words[-1]) == initials or sorted(words[-1]) == initials[1:]:
            return words[:-1]
        if names.plain(words[-2]) in _HEADS_BEFORE_SHORT_FORM:
            return words[:-1]  # "the Federal Motor Transport Authority KBA": its German short form
    return words


_HEADS_BEFORE_SHORT_FORM = frozenset({
    "authority", "agency", "office", "institute", "commission", "ministry", "bureau", "administration",
    "board", "council", "inspectorate", "directorate", "service",
})  # fmt: skip
"""A body's head noun that ends its name: a short form after it is the same body's, in whatever
language its letters were taken from."""
_ACRONYM_WORD = re.compile(r"^[A-Z]{2,6}$")
_ADJECTIVE = re.compile(r"[a-z](?:ist|ian|ic|ese|ish|an)$")


def _role_owner(word: str) -> bool:
    """ "U.S. Attorney's Office for the Southern District", "Children's Hospital": an office or a
    role owns the name, which is a body's as a whole."""
    return names.is_title(word, 1) or names.plain(word) in _ROLE_OWNERS


_ROLE_OWNERS = frozenset({"children", "women", "people", "veterans", "workers", "citizens", "farmers"})


def _is_person(name: str) -> bool:
    return not lookup(name) and classify(name) == "person"


_BODY_WORDS = frozenset(ORGANISATION_WORDS)


def _generic_body(words: list[str]) -> bool:
    """ "Defence Ministry", "Ministry of Commerce", "Air Force": a body named only by its type."""
    plain = [names.plain(w.rstrip(",")) for w in words]  # "Ministry of Economy, Trade and Industry"
    if len(plain) > 2 and plain[0] in ("ministry", "department") and plain[1] in ("of", "for"):
        return True  # "Ministry of Ecology and Environment": a ministry is named by its portfolio
    return any(w in ORGANISATION_WORDS for w in plain) and all(
        w in ORGANISATION_WORDS or w in names.PORTFOLIO_WORDS or not word[:1].isupper()
        for w, word in zip(plain, words, strict=True)
    )


@functools.lru_cache(maxsize=4096)
def _clean(name: str) -> str:
    """Trim what is not part of a source's name: possessive, trailing dots and commas."""
    name = " ".join(name.split()).rstrip(",")
    if not _ENDS_ABBREVIATED.search(name):
        name = name.rstrip(".")
    return names.without_possessive(name)


_ENDS_ABBREVIATED = re.compile(r"\s(?:Co|Corp|Inc|Ltd|Jr|Sr|Bros)\.$")
"""``Harbor & Bean Co.``, ``Martin Luther King Jr.``: the full stop is the name's."""


@functools.lru_cache(maxsize=16384)
def _refused(name: str, kind: str | None, phrase: str, medium: bool) -> bool:
    """Ordinary words ("Officials", "Monday"), and bodies that were told something but published
    nothing ("told Parliament")."""
    words = name.split()
    known = lookup(name)
    if not words or (not known and names.plain(words[0]) in names.COMMON_WORDS and not _role_named(words)
                     and not _owner_of_name(words)):
        return True
    if len(words) == 1 and (names.plain(name) in COUNTRIES or names.plain(name) in CAPITALS):
        return True  # "Kyiv said", "China rejected": a government named by its place
    if names.plain(name).replace(".", "") in _COUNTRY_SHORT_FORMS:
        return True  # "claims by 42 U.S. states that": the country's short form, a place
    if len(words) > 1 and name.lower() in _MORE_COUNTRIES:
        return True  # "Saudi Arabia and Russia said"
    if "and" in words and all(
        part and (" ".join(part).lower() in _COUNTRY_WORDS or " ".join(part).lower() in CAPITALS)
        for part in _split_on(words, ("and",))
    ):
        return True  # "Germany, France, Italy and Spain called on": countries, not a body "Italy and Spain"
    if len(words) > 1 and not known and names.plain(words[-1]) in _INSTRUMENTS:
        return True  # "the James Webb Space Telescope found": the people using it are the source
    return phrase == "told" and not known and not medium and any(
        names.plain(w) in _TOLD_NOT_MEDIA for w in words
    )


_COUNTRY_SHORT_FORMS = frozenset({"us", "uk", "usa"})
_INSTRUMENTS = frozenset({
    "telescope", "telescopes", "rover", "spacecraft", "satellite", "satellites", "lander", "orbiter",
    "rocket",
})  # fmt: skip
"""Instruments and craft that "found" or "detected" something: no source, whoever used them is."""


def _owner_of_name(words: list[str]) -> bool:
    """ "People's Party", "Workers' Party": a possessive common word that opens a longer name; "People
    Power Party": a common word opening a longer name that ends in a members' body's noun."""
    return len(words) > 1 and words[1][:1].isupper() and (
        words[0].endswith(("'s", "’s", "s'", "s’"))
        or (len(words) > 2 and names.plain(words[-1]) in names.MEMBERS_BODIES
            and names.plain(words[1]) not in names.COMMON_WORDS)
    )


def _role_named(words: list[str]) -> bool:
    """ "Workers United", "Doctors Without Borders", "Police Scotland": a plural role opening a run
    that goes on with a capitalised word is a body's name, not "Officials" or "Police" alone."""
    first = names.plain(words[0])
    return len(words) > 1 and (first == "police" or _PLURAL_ROLE.search(first) is not None) and (
        names.plain(words[1]) not in names.COMMON_WORDS and words[1] not in ("of", "from")
    )  # "Residents of Iztapalapa told Milenio": people of a place, no body


def _misplaced(name: str, kind: str | None, raw: _Raw, start: int, text: str, before: list[str]) -> bool:
    """A place ("officials in Nairobi told"), or a plural noun opening a sentence ("Rescuers said");
    ``before`` holds the two words before the name."""
    placed = before[-1:] and (before[-1] in _PLACES_BEFORE or (
        before[-1] in _PLACE_ADJECTIVES and before[:1] and before[0] in _PLACES_BEFORE
    ))
    if not raw.phrase and placed and not _WHO_AFTER.match(text, raw.end):
        return True
    if not raw.phrase and before[-1:] and before[-1] in _FOREIGN_PREPOSITIONS:
        return True  # "the Societe de transport de Montreal said": Montreal ends a longer name
    if raw.verb and not raw.phrase and text.startswith(",", raw.end) and _RELATIVE_BEFORE.search(
        text, max(0, raw.start - 80), raw.start
    ):
        return True  # "Infratest dimap, which polls for ARD, put ...": ARD ends the clause, it says nothing
    if not raw.phrase and before[-1:] and before[-1] in _OWNERS_BEFORE:
        return True  # "cut its EU forecast": a name after "its" qualifies a noun, it says nothing
    if " " in name or kind or name.isupper() or lookup(name) or not _PLURAL_ROLE.search(name):
        return False
    return bool(_SENTENCE_START.search(text, max(0, start - 3), start))


_FOREIGN_PREPOSITIONS = frozenset({"de", "du", "des", "della", "delle", "di", "dei", "do", "dos"})
"""Romance prepositions inside a body's name ("Régie des eaux de Namur"): a name after one is its tail."""
_WHO_AFTER = re.compile(rf",{_SP}+(?:who\b|which{_SP}+{_ADVERBS}{_WHICH_SAID})")
"""``sending the measure to President Joe Biden, who said``, ``The plant belongs to Korea Zinc, which
said``: after "to", a person or a body who speaks."""
_RELATIVE_BEFORE = re.compile(rf",{_SP}+(?:which|who|whose|that|where|when){_SP}[^,.;:!?\n]*$")
_OWNERS_BEFORE = frozenset({"its", "their", "his", "her", "our", "my", "your"})
_DEMONYM = re.compile(
    r"^(?:[A-Z][a-z]+(?:ian|ean|ese|ish|ic|an|ch)|Israeli|Iraqi|Saudi|Kuwaiti|Pakistani|Bangladeshi|Omani|"
    r"Yemeni|Qatari|Emirati|Somali|Nepali|Azerbaijani|Bahraini|Thai|Swiss|Greek|Dutch|Czech|"
    r"U\.S\.?|U\.K\.?|U\.N\.?|E\.U\.?)$"
)
"""A people's adjective ("Israeli television"); a name that only ends like one ("Skai") is not."""
_LOWER_NEXT = re.compile(rf"{_SP}+[a-z]")


def _modifies_a_noun(name: str, raw: _Raw, text: str) -> bool:
    """ "a spokesman for the Israeli military", "according to Chinese state media": a people's
    adjective before a lower-case noun is no one's name (a known source is: "told Reuters police
    had ..."), whatever phrase came before it."""
    return (raw.phrase != "" and " " not in name and _DEMONYM.match(name) is not None
            and not lookup(name) and _LOWER_NEXT.match(text, raw.end) is not None)


def _persons_rival(before: list[str]) -> bool:
    """ "His rival Anies Baswedan said": a person's rival is a person, though "rival Frontier" is a firm."""
    return [w.lower() for w in before[-2:]] in (["his", "rival"], ["her", "rival"])


def _context_kind(raw: _Raw, name: str, before: list[str], text: str) -> str:
    """The kind the words around a name give it, else the kind its own words give it."""
    if lookup(name):
        return "publication"
    if _edition_of_known(name):  # "Politico Europe"; not "Kyodo Senpaku, Japan's only whaling company"
        return "organisation" if _BODY_IN.match(text[raw.end : raw.end + 160]) else "publication"
    if raw.medium or (before[-1:] and before[-1] in _MEDIA_BEFORE) or before == ["news", "agency"]:
        return "publication"
    if raw.body or (before[-1:] and not _persons_rival(before) and (
        before[-1] in names.ORG_DESCRIPTORS or before[-1] in _BODY_BEFORE
    )) or (
        text.endswith(",", 0, raw.start - 1)
        and _DESCRIBED_BEFORE.search(text, max(0, raw.start - 40), raw.start)
    ):
        return "organisation"
    if " " in name and _ROLE_APPOSITIVE.match(text, raw.end):
        return "person"  # "said Le Xuan Chiew, a Canalys analyst", "Chris Yelland, an energy analyst at"
    kind = _PHRASE_KINDS.get(raw.phrase)
    if kind:
        return kind
    if raw.phrase == "told" and classify(name) != "person":
        return "publication"
    kind = classify(name)
    if kind == "document" and raw.verb in _SPEECH:
        return "organisation"  # "the British Antarctic Survey said": a survey that speaks is a body
    if raw.verb == "reported" and not said_by_words(name) and not _titled_before(before):
        return "publication"
    if raw.finding and kind == "person":
        return "organisation"
    if kind == "person" and not _introduced_as_person(raw, text, before):
        # "Deutsche Bahn said", "Munich Re said": no role, no title, no quote
        return "publication" if raw.phrase == "told" else "organisation"
    return kind


_AGENT_NOUN = re.compile(r"^[a-z-]{3,}(?:er|or|ist|ian)$")
_NOT_AGENT_NOUNS = frozenset({
    "under", "after", "other", "later", "former", "either", "whether", "rather", "together",
    "however", "order", "minor", "major", "over", "never", "ever", "earlier", "further", "among",
    "newer", "older", "larger", "smaller", "higher", "lower", "bigger", "better", "per", "for",
    "owner", "operator", "sponsor", "partner", "creditor", "lender", "investor", "regulator",
})  # fmt: skip
_TOLD_PEOPLE = re.compile(
    rf"{_SP}+(?:also{_SP}+)?told{_SP}+(?:reporters|journalists|the{_SP}+(?:audience|crowd)|supporters|"
    rf"(?:a|the){_SP}+(?:news|press){_SP}+conference)\b"
)
_WHICH_AFTER = re.compile(rf",{_SP}+which\b")
_QUOTE_BEFORE = re.compile(r"""(?:[”"],|,[”"])\s*$""")
_PERSON_AFTER = re.compile(rf",{_SP}+(?:who|whose)\b|{_SP}+(?:his|her)\b")


def _introduced_as_person(raw: _Raw, text: str, before: list[str]) -> bool:
    """Whether the words around a name that only looks like a person's (two to four capitalised
    words) say it is one: wire copy introduces a person with a role or title ("Chris Yelland, an
    energy analyst", "economist Ana Reyes"), a quotation (" ...," Ana Reyes said), a relative "who",
    or as the speaker after "said"; a body it names bare ("Deutsche Bahn said")."""
    if raw.phrase in ("said", "says", "explained", "added", "wrote", "quoted", "cited"):
        return True
    if before[-1:] and before[-1].islower() and (
        names.is_title(before[-1], 1) or names.plain(before[-1]) in names.ROLE_WORDS
        or (_AGENT_NOUN.search(before[-1]) and before[-1] not in _NOT_AGENT_NOUNS
            and before[-1] not in names.ORG_DESCRIPTORS)
    ):
        return True  # "passenger Bikash Mohanty", "winemaker Hélène Darroze-Bastide"
    if _persons_rival(before) or _owned_by_a_body(raw.name):
        return True
    if text.endswith(", ", 0, raw.start) or _QUOTE_BEFORE.search(text, max(0, raw.start - 4), raw.start):
        return True
    if _WHICH_AFTER.match(text, raw.end):
        return False  # "Korea Zinc, which said"
    if _TOLD_PEOPLE.match(text, raw.end):
        return True  # "Novak Djokovic told reporters": a person speaks to the press in person
    if text.startswith(",", raw.end):
        # "Maria Lopez, a county clerk, told": described; not "Dollar General, by contrast, said" nor
        # "Air Liquide, the French industrial gases group, said"
        return not _aside_or_body(text, raw.end)
    return _PERSON_AFTER.match(text, raw.end) is not None


def _owned_by_a_body(raw_name: str) -> bool:
    """ "Villa's Unai Emery said", "McLaren's Andrea Stella said": a name shaped like a person's after a
    club's or a company's possessive is one of its people; after a country's or a capital's it may be
    one of its companies ("Germany's Deutsche Bahn said") and the shape alone does not say."""
    split = names.possessive_split(raw_name.split())
    if split is None or len(split[0]) != 1:
        return False
    owner = names.plain(split[0][0])
    return owner not in _COUNTRY_WORDS and owner not in CAPITALS and owner not in _ADJECTIVE_COUNTRIES and (
        owner not in names.COMMON_WORDS and split[0][0][:1].isupper()
    )


_ASIDE = re.compile(rf",{_SP}+(?P<aside>[^,.;:\n]{{1,80}}),")
_ASIDE_OPENERS = frozenset({
    "by", "in", "for", "however", "meanwhile", "too", "also", "though", "on", "at", "like", "unlike",
    "instead", "separately", "which", "whose", "that", "as", "after", "before", "with", "for its part",
})  # fmt: skip


def _aside_or_body(text: str, end: int) -> bool:
    """Whether the words set off by commas after a name are an aside ("by contrast", "meanwhile")
    or a body's description, whose last word is a body's noun ("the French industrial gases
    group"), rather than a person's."""
    found = _ASIDE.match(text, end)
    if found is None:
        return False
    words = found.group("aside").split()
    if words[0] == "who":
        return False  # "Yoshihiko Noda, who leads the Constitutional Democratic Party, said"
    if words[0] == "whose" and len(words) > 1 and (words[1][:1].isupper() or words[1] in _PERSONS_OWN):
        return False  # "Uddhav Thackeray, whose Shiv Sena faction lost heavily, told", "whose team was"
    for position, word in enumerate(words[2:], 2):  # "Latin America's largest bank by market value"
        if word in _HEAD_ENDS:
            words = words[:position]
            break
    last = names.plain(words[-1])
    if any(w.endswith(names.DESCRIBING_ENDS) for w in words) and not (
        names.is_title(words[-1], 1) or last in names.ROLE_WORDS or last in _PERSON_NOUNS
    ):
        return True  # "Grace Ocean, the Singapore-based owner of the Dali": not "a London-based analyst"
    return words[0].lower() in _ASIDE_OPENERS or last in names.ORG_DESCRIPTORS or last in ORGANISATION_WORDS


_PERSON_NOUNS = frozenset({"man", "woman", "resident", "mother", "father", "student", "worker", "farmer"})
_PERSONS_OWN = frozenset({
    "team", "side", "crew", "faction", "party", "wife", "husband", "son", "daughter", "family", "father",
    "mother", "brother", "sister", "children", "career", "campaign", "lawyer", "lawyers", "book", "novel",
    "film", "term", "government", "administration", "coalition",
})  # fmt: skip
"""What a person has ("Ben Ainslie, whose team was bidding"): after "whose" it says the name is a person's."""


_HEAD_ENDS = frozenset({"by", "in", "of", "with", "for", "on", "at", "since", "from", "to", "outside"})
"""A preposition ends the noun a description is about ("the world's largest lender by assets")."""


_BODY_BEFORE = frozenset({
    "authority", "agency", "ministry", "department", "union", "council", "commission", "institute",
    "association", "federation", "party", "court", "tribunal", "foundation", "body", "bloc",
})  # fmt: skip
"""A body's type in lower case just before a name: "regional authority Region Kalmar said"."""
_ROLE_APPOSITIVE = re.compile(
    rf",{_SP}+(?:(?:an?|the){_SP}+)?(?:[\w'’.-]+{_SP}+){{0,3}}?"
    rf"(?:{_LOWER_TITLES}|{'|'.join(sorted(names.ROLE_WORDS))})\b(?!['’])"
)
"""A name followed by a person's role in apposition is a person's, whatever its words look like."""
_SPEECH = frozenset({"said", "says", "told", "tells", "added", "adds", "warned", "warns", "stated"})


def _titled_before(before: list[str]) -> bool:
    """ "The BBC's political editor, Laura Finch, reported": a role just before makes a person."""
    return bool(before) and names.is_title(before[-1].rstrip(","), 1)


def _known_as_written(name: str) -> bool:
    """A known source the words name as it writes itself: "Sana" in "Sana Tawfik" is a given name,
    not the SANA news agency, whose name is all capitals ("Taz Ahmed" is no edition of the taz)."""
    known = lookup(name)
    if known is None:
        return False
    bare = name.removeprefix("The ").removeprefix("the ")
    return any(
        alias.removeprefix("The ") == bare or (
            not alias.isupper() and not alias.islower()
            and alias.lower().removeprefix("the ") == bare.lower()
        )
        for alias in (known.name, *known.aliases)
    )


@functools.lru_cache(maxsize=16384)
def _edition_of_known(name: str) -> bool:
    """ "Politico Europe", "Bloomberg Businessweek", "CNN International": a known publication's name
    and more capitalised words is one of its editions or titles."""
    words = name.split()
    for n in range(len(words) - 1, 0, -1):
        rest = words[n:]
        if _known_as_written(" ".join(words[:n])):
            return len(rest) <= 2 and not said_by_words(" ".join(rest)) and all(
                w[:1].isupper() and names.plain(w) not in names.COMMON_WORDS for w in rest
            )
    return False


_DESCRIBED_BEFORE = re.compile(
    rf"\b(?:[Tt]he|[Ii]ts|[Tt]heir|[Hh]is|[Hh]er){_SP}+(?:[\w-]+{_SP}+)?(?:{'|'.join(sorted(names.ORG_DESCRIPTORS))}),{_SP}*$"
)
"""``The operator, Autostrade Liguri, said``: a body's noun in apposition before the name."""


_NATIONALITY = (
    r"(?:(?:Anglo|Franco|Sino|Indo|Austro|Russo|Swiss|Dutch|Greek|Turkish|German|British)-)?"
    r"(?:[A-Z][a-z]+(?:ian|ean|ese|ish|ic|an|ch)|Israeli|Iraqi|Saudi|Kuwaiti|Pakistani|Emirati|Qatari|Thai|"
    r"Swiss|Greek|Dutch|Czech|U\.S\.|British|European|Asian|African)"
)
_THE_COMPANY = re.compile(
    rf"\b[Tt]he{_SP}+(?:(?:country|world|nation|region|continent)['’]s{_SP}+(?:[a-z]+est|[a-z]+-[a-z]+est){_SP}+)?"
    rf"(?:{_NATIONALITY}{_SP}+)?(?:[a-z][\w]*-[\w-]+{_SP}+)?"
    rf"(?:fund{_SP}+manager|asset{_SP}+manager|drugmaker|chipmaker|"
    rf"(?:(?!(?:rights|campaign|advocacy|pressure|aid|lobby|industry|trade|opposition|rebel|militant|armed|"
    rf"research|activist|environmental|human|civil|consumer|patient|business|employers)\b)[a-z]+{_SP}+){{1,2}}?"
    rf"(?:maker|group|giant|operator|company|firm|lender|carrier|airline|retailer|insurer|miner|utility)|agency|"
    rf"maker{_SP}+of{_SP}+(?:[\w-]+{_SP}+){{1,3}}?(?=[a-z]+{_SP}+(?:said|says)\b)[a-z]+|"
    rf"{'|'.join(sorted(names.ORG_DESCRIPTORS - {'group', 'bank', 'organisation', 'organization'}))})"
    rf"(?:,|{_SP}+{_ADVERBS}(?:{_VERBS})\b)"
    rf"|\b[Tt]he{_SP}+(?:{_NATIONALITY}|[a-z]+|(?:[{_UPPER}][\w-]*{_SP}+){{0,2}}[{_UPPER}][\w-]*){_SP}+(?:club|side)"
    rf"{_SP}+{_ADVERBS}(?:said|says|announced|confirmed)\b"
    rf"|\b[Aa]{_SP}+company{_SP}+(?:spokesman|spokeswoman|spokesperson){_SP}+{_ADVERBS}(?:said|says|told|added)\b"
)
"""``the company said``, ``the fund manager said``, ``The company, Halvorsen Builders, denied``,
``the Danish drugmaker said``, ``the software maker said``, ``the shipping group said`` (a group of
an industry's, not a rights or campaign group, which may be anyone's); ``the Spanish club said``
(a club with a word that says which: "the club said" may follow a player); ``a company spokeswoman
said``."""
_SUBJECT_BEFORE = re.compile(
    rf"""(?:^|[.!?]['"’”]?\s+|\n\s*|[—–-]{_SP}+|(?:[Ss]hares|[Ss]tock){_SP}+(?:in|of){_SP}+"""
    rf"""|(?:^|[.!?]\s+|\n\s*|[—–-]{_SP}+)(?:Sales|Profits?|Revenues?|Earnings|Output){_SP}+(?:at|of){_SP}+)$"""
)
_DESCRIPTOR_BEFORE = re.compile(rf"(?:\b(?:{'|'.join(sorted(names.ORG_DESCRIPTORS))})|\w-based){_SP}+$")
"""``startup Lumen Labs has raised ...``: a body's noun just before the name."""
_COMPANY_REACH = 600
_COMPANY_KINDS = ("organisation", "publication")
"""What the subject "the company said" stands for may be named like a paper ("Royal Mail will raise
..., the company said"): the noun says it is a company."""
_WORDS_ONLY = re.compile(rf"^[{_UPPER}][a-z]+(?:{_SP}+[{_UPPER}][a-z]+){{1,2}}$")
"""Two or three capitalised words and nothing else ("Luckin Coffee"; not "About 2,000")."""
_RIVAL_BEFORE = re.compile(rf"\b(?:rival|rivals|competitor|peer){_SP}+$")
_DEAL_BEFORE = re.compile(
    rf"\b(?:buy|buys|bought|buying|acquire|acquires|acquired|acquiring|purchase|purchased|sell|sells|sold|"
    rf"selling|merge{_SP}+with|merged{_SP}+with|invest{_SP}+in|invested{_SP}+in|stake{_SP}+in|takeover{_SP}+of|"
    rf"bid{_SP}+for)(?:{_SP}+[\w.'’-]+){{1,4}}?{_SP}+$"
)
"""The object of a deal before a body's noun and its name: the one bought is not who speaks."""
_HAS_LOWER = re.compile(r"\s[a-z]")
_HOLDINGS = frozenset({"Shares", "Stock", "Holdings", "Units"})
_DATELINE_AFTER = re.compile(
    rf"(?:,{_SP}+[^,\n—–]{{1,30}}?)?(?:{_SP}*\([^)\n]{{1,30}}\))?(?:{_SP}*[—–]|{_SP}+-{_SP})"
)
"""The dash after a dateline, an em or en dash or a spaced hyphen ("HOUSTON - A fire ...")."""
_SENTENCE_END = re.compile(r"[.!?]['\"’”]?\s")


def _company_hits(text: str, runs: list[re.Match], taken: set[int]) -> Iterator[_Hit]:
    """The body that "the company said" stands for: the nearest name before it (within a few
    sentences) that opens a sentence, or follows "Shares in", and that a body's word names
    ("Halden Pharma", "Siemens Energy"); wire copy names the company a story is about as a
    sentence's subject before it calls it "the company". Each lookup walks back over a few runs
    only, so the whole costs one pass."""
    starts = [m.start() for m in runs]
    for said in _THE_COMPANY.finditer(text):
        if said.group().endswith(","):
            continue  # "The company, Halvorsen Builders, denied": the name itself is found
        at = bisect.bisect_left(starts, said.start()) - 1
        while at >= 0 and runs[at].start() > said.start() - _COMPANY_REACH:
            run = runs[at]
            at -= 1
            opens = _SUBJECT_BEFORE.search(text, max(0, run.start() - 12), run.start())
            described = _DESCRIPTOR_BEFORE.search(text, max(0, run.start() - 30), run.start()) or (
                run.group().split(None, 1)[0].endswith("-based")
            )
            if _RIVAL_BEFORE.search(text, max(0, run.start() - 8), run.start()):
                continue  # "a merger with rival Frontier, the low-cost carrier said": the other one
            if described and not opens and _DEAL_BEFORE.search(text, max(0, run.start() - 60), run.start()):
                continue  # "Novartis AG agreed to buy biotech firm Avidity ..., the drugmaker said"
            if run.start() in taken or not (opens or described) or _DATELINE_AFTER.match(text, run.end()):
                continue  # "SANTIAGO, Chile — Six workers ...": a dateline's place names no one
            skipped, name, kind = _parsed(run.group())
            owned = names.possessive_split(run.group().split())
            if owned is not None and names.plain(owned[1][-1]) in ORGANISATION_WORDS:
                # "Hong Kong's Securities and Futures Commission fined ..., the regulator said"
                skipped, name, kind = run.group().index(owned[1][0]), " ".join(owned[1]), None
            elif owned is not None and names.without_possessive(" ".join(owned[0])).lower() in _COUNTRY_WORDS:
                # "Norway's Equinor will cut ..., the company said": the country's company
                skipped, name, kind = run.group().index(owned[1][0]), _clean(" ".join(owned[1])), None
            elif owned is not None:  # "SpaceX's Starship rocket exploded ..., the company said"
                skipped, name, kind = 0, _clean(" ".join(names.drop_article(owned[0]))), None
            if name.endswith("-based") or _DEMONYM.match(name):
                continue  # "Singapore-based exchange WazirX", "Chinese customers ...": a description
            parts = name.split(None, 2)
            if len(parts) == 3 and parts[1] in ("of", "in") and parts[0] in _HOLDINGS:
                # "Shares of Volta Motors fell", "Holdings of SPDR Gold Trust rose"
                skipped, name = skipped + len(parts[0]) + len(parts[1]) + 2, parts[2]
            if kind == "person":  # "Starbucks Chief Executive Laxman Narasimhan is stepping down"
                owner = names.before_title(run.group().split())
                if not owner or lookup(" ".join(owner)) or classify(" ".join(owner)) != "organisation":
                    continue
                skipped, name, kind = 0, _clean(" ".join(names.drop_article(owner))), None
            body = described or (said_by_words(name) and classify(name) == "organisation") or (
                opens and (" " not in name or (classify(name) in _COMPANY_KINDS
                                               and not _HAS_LOWER.search(name))
                           or (run.group().endswith(("'s", "’s")) and not _HAS_LOWER.search(name))
                           or (kind is None and not _HAS_LOWER.search(name) and _WORDS_ONLY.match(name)
                               and _SENTENCE_END.search(text, run.end(), said.start()) is None))
                and names.plain(name) not in names.COMMON_WORDS
                and (_SENTENCE_END.search(text, run.end(), said.start()) is None
                     or _previous_subject(text, run, said))
            )  # "Airbus delivered 67 aircraft in May, the planemaker said": the sentence's own subject
            agency = said.group().split()[-2:-1] == ["agency"]
            if agency and " " not in name and not _ACRONYM_WORD.match(name):
                continue  # "Japan and the United States have pledged ..., the agency said": no agency's name
            if name and kind in (None, "organisation") and not lookup(name) and body and (
                not _refused(name, None, "", False)
            ):
                yield _Hit(name, run.start() + skipped, "organisation")
                break


_WORD_STARTS = re.compile(r"(?<!\S)\S")
_THE_HEAD_SAID = re.compile(
    rf"\b[Tt]he{_SP}+(?P<noun>airport|league|club|university|council|commission|agency|authority|court|"
    rf"tribunal|federation|association|institute|museum|hospital|foundation|board|committee|ministry|"
    rf"department|bureau|society|zoo|port|exchange|college|observatory|directorate|inspectorate)"
    rf"{_SP}+{_ADVERBS}(?:said|says|added|announced|confirmed|warned|stated|told)\b"
)


def _head_noun_hits(text: str, runs: list[re.Match], taken: set[int]) -> Iterator[_Hit]:
    """ "All departures from Brussels Airport were cancelled, the airport said", "Premier League
    champions Manchester City were fined, the league said": "the" and a body's own head noun stand
    for the nearest name before it (within a few sentences) that ends with that noun, or opens with
    it ("the Ministry of Employment"). Each look walks back over a few runs, so the whole is linear."""
    starts = [m.start() for m in runs]
    for said in _THE_HEAD_SAID.finditer(text):
        noun = said.group("noun")
        at = bisect.bisect_left(starts, said.start()) - 1
        while at >= 0 and runs[at].start() > said.start() - _COMPANY_REACH:
            run = runs[at]
            at -= 1
            words = [names.plain(w) for w in run.group().split()]
            if len(words) < 2 or not (words[-1] == noun or any(
                word == noun and after in ("of", "for") for word, after in itertools.pairwise(words)
            )):  # "Brussels Airport", "the Ministry of Labour", "European Court of Human Rights"
                continue
            if any(run.start() + m.start() in taken for m in _WORD_STARTS.finditer(run.group())):
                break  # the name (or the body a possessive owns in it) is found already
            skipped, name, kind = _parsed(run.group())
            owned = names.possessive_split(name.split())
            if owned is not None and (  # "The European Union's General Court"; "Russia's Defence Ministry"
                not _generic_body(owned[1])
                or names.without_possessive(" ".join(owned[0])).lower() not in _COUNTRY_WORDS
            ):
                skipped, name = skipped + name.index(owned[1][0]), " ".join(owned[1])
            if name and kind in (None, "organisation") and not lookup(name) and " " in name:
                yield _Hit(name, run.start() + skipped, "organisation")
            break


def _previous_subject(text: str, run: re.Match, said: re.Match) -> bool:
    """ "Ryanair expects fares to fall. The airline said on Monday ...": a sentence that opens with
    "The airline said" speaks for the one-word subject of the sentence just before it."""
    ends = list(_SENTENCE_END.finditer(text, run.end(), said.start()))
    return (
        len(ends) == 1 and " " not in run.group() and said.group()[:1] == "T"
        and _SUBJECT_BEFORE.search(text, max(0, said.start() - 12), said.start()) is not None
    )


_PRONOUN_SAID = re.compile(
    rf"\b(?P<pronoun>he|she){_SP}+{_ADVERBS}(?:said|says|told|tells|added|wrote|warned)\b"
    rf"|,{_SP}+(?:saying|writing{_SP}+(?:that|on))\b"
    rf"|,{_SP}+it{_SP}+(?:said|says)\b|(?<=[a-z0-9%]){_SP}+and{_SP}+(?:also{_SP}+)?(?:said|warned|added|told)\b"
)
_PRONOUN_REACH = 300
_DESCRIBES_NEXT = re.compile(rf"(?:{_SP}+[a-z][\w-]*){{1,3}}{_SP}+[{_UPPER}]")


def _pronoun_hits(text: str, runs: list[re.Match], taken: set[int]) -> Iterator[_Hit]:
    """ "Chancellor Olaf Scholz visited Reichertshofen, where he said ...": "he" or "she" who speaks
    later in the sentence whose subject is a person named with a title or in full. Only the same
    sentence: across sentences "he" may be anyone. Each look walks back over a few runs."""
    starts = [m.start() for m in runs]
    for said in _PRONOUN_SAID.finditer(text):
        at = bisect.bisect_left(starts, said.start()) - 1
        subject = None
        while at >= 0 and runs[at].start() > said.start() - _PRONOUN_REACH:
            run = runs[at]
            at -= 1
            if _SENTENCE_END.search(text, run.end(), said.start()) is not None:
                break
            if _SUBJECT_BEFORE.search(text, max(0, run.start() - 12), run.start()):
                subject = run
                break
        if subject is None or subject.start() in taken or _DATELINE_AFTER.match(text, subject.end()):
            continue
        if " " not in subject.group() and _DESCRIBES_NEXT.match(text, subject.end()):
            continue  # "World chess champion Magnus Carlsen accused ..., saying": "World" describes
        skipped, name, kind = _parsed(subject.group())
        if not name or _refused(name, kind, "", False) or _DEMONYM.match(name):
            continue
        if kind == "person" or (" " in name and kind is None and _is_person(name)):
            yield _Hit(name, subject.start() + skipped, "person")
        elif said.group("pronoun") is None and (said_by_words(name) or " " not in name) and (
            not lookup(name) and not said.group().endswith("told")  # not "The Punjab government ... and told"
        ):
            # "The California Department of Motor Vehicles suspended the permit, saying ..."
            yield _Hit(name, subject.start() + skipped, classify(name) if " " in name else "organisation")


_AGED_SAID = re.compile(
    rf"\b[Tt]he{_SP}+\d{{1,3}}-year-old(?:{_SP}+[a-z]+)?{_SP}+{_ADVERBS}(?:said|says|told|tells|added|wrote)\b"
)
"""``the 18-year-old told reporters``: wire copy's second mention of a person it has just named."""


def _aged_hits(text: str, runs: list[re.Match]) -> Iterator[_Hit]:
    """ "Gukesh Dommaraju ... became champion ... "It is the best moment," the 18-year-old told
    reporters": the person who is the subject of a sentence just before (the nearest subject; when
    that is not a person, no one). Each look walks back over a few runs, so the whole is linear."""
    starts = [m.start() for m in runs]
    for said in _AGED_SAID.finditer(text):
        at = bisect.bisect_left(starts, said.start()) - 1
        while at >= 0 and runs[at].start() > said.start() - 2 * _PRONOUN_REACH:
            run = runs[at]
            at -= 1
            if not _SUBJECT_BEFORE.search(text, max(0, run.start() - 12), run.start()) or (
                _DATELINE_AFTER.match(text, run.end())
            ):
                continue
            skipped, name, kind = _parsed(run.group())
            if not name or _refused(name, kind, "", False):
                continue  # "It", "The": no one
            if kind == "person" or (" " in name and kind is None and _is_person(name)):
                yield _Hit(name, run.start() + skipped, "person")
            break


def _full_names(runs: list[re.Match], wanted: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Full names the ``wanted`` single words may stand for: a person's by surname, a body's by
    its first word.

    Read from the runs of names the scan already found (linear): "Governor Ana Ruiz" lets a later
    "Ruiz said" be Ana Ruiz, and "Volta Motors" a later "Volta said" be Volta Motors. A run that
    holds none of the wanted words is passed over at the cost of a split.
    """
    people: dict[str, str] = {}
    bodies: dict[str, str] = {}
    for match in runs:
        text = match.group()
        if " " not in text:
            continue
        words, entries = _run_entries(text)
        if wanted.isdisjoint(words):
            continue
        for is_person, key, full in entries:
            (people if is_person else bodies).setdefault(key, full)
    return people, bodies


@functools.lru_cache(maxsize=16384)
def _run_entries(text: str) -> tuple[frozenset[str], tuple[tuple[bool, str, str], ...]]:
    """A run's words, and the full names it lets shorter mentions stand for, worked out once per
    distinct run (``(is a person, the short form, the full name)``)."""
    run = text.split()
    words = frozenset(_clean(w) for w in run) | {_capitalised(_clean(w)) for w in run if w[:1].islower()}
    run = names.trim_time(run)
    while run and (run[0] in ("The", "A", "An") or names.plain(run[0]) in names.COMMON_WORDS
                   or names.plain(run[0]) in ("of", "for", "on")):
        run = run[1:]
    if len(run) > 12:
        return words, ()
    people: dict[str, str] = {}
    bodies: dict[str, str] = {}
    parts = list(_split_on(run, ("and",)))  # "Mahindra & Mahindra" whole first, then each side of its "&"
    for part in parts + [p for whole in parts if "&" in whole for p in _split_on(whole, ("&",))]:
        owned = names.possessive_split(part)
        if owned is not None:  # "Prime Minister Narendra Modi's Bharatiya Janata Party": both
            _index_full_name([*owned[0][:-1], names.without_possessive(owned[0][-1])], people, bodies)
        _index_full_name(part, people, bodies)
    entries = [(True, k, v) for k, v in people.items()] + [(False, k, v) for k, v in bodies.items()]
    return words, tuple(entries)


_SHORT_FORM_AFTER = re.compile(
    rf"{_SP}*\((?P<bracketed>[{_UPPER}]{{2,8}})\)|,{_SP}*(?P<apposed>[{_UPPER}]{{2,8}}),(?!{_SP}*and\b)"
)
"""``the European Automobile Manufacturers' Association (ACEA)``, ``the Swiss Financial Market
Supervisory Authority, FINMA, said``: a body's short form defined where it is first named."""


def _spelled_out(text: str, runs: list[re.Match], wanted: set[str]) -> dict[str, str]:
    """The full names that short forms found as sources stand for, where the text defines them
    ("... Association (ACEA) said ... the ACEA data showed"): one look after each run of names.
    A short form set off by commas must follow a body's name (a list, "the BBC, ITV and Sky", does
    not define one)."""
    found: dict[str, str] = {}
    if not wanted:
        return found
    for run in runs:
        after = _SHORT_FORM_AFTER.match(text, run.end())
        if after is None:
            continue
        short = after.group("bracketed") or after.group("apposed")
        if short not in wanted or short in found:
            continue
        _skipped, name, kind = _parsed(run.group())
        if not name or kind == "person" or " " not in name or lookup(name):
            continue
        if after.group("apposed") and classify(name) != "organisation":
            continue
        found[short] = name
    if len(found) < len(wanted):
        _by_initials(runs, wanted - found.keys(), found)
    return found


_AMPERSANDED = re.compile(r"^[A-Z]&[A-Z]$")
"""A two-letter short form of a name joined by "&" ("J&J" for Johnson & Johnson, "P&G")."""
_NOT_INITIALLED = frozenset({"of", "for", "and", "&", "the", "on", "de", "du", "des", "la", "le"})


def _initials_of(word: str) -> str:
    """ "U.S." gives "US" ("The U.S. Department of Agriculture ... The USDA said"); other words their
    first letter."""
    return word.replace(".", "") if _DOTTED_WORD.match(word) else word[0]


_DOTTED_WORD = re.compile(r"^(?:[A-Z]\.)+$")


def _by_initials(runs: list[re.Match], wanted: set[str], found: dict[str, str]) -> None:
    """ "The Financial Conduct Authority, Britain's financial watchdog, ... The FCA said": a short
    form never defined in brackets is the body the text names in full with those initials (a
    body's name, not a person's; the first such run). A country or "U.S." before the name may be
    left out of the short form ("the U.S. National Highway Traffic Safety Administration ... NHTSA"),
    and stays in the name."""
    for run in runs:
        text = run.group()
        words = text.split()
        if len(words) < 2:
            continue
        if words[0] in ("The", "A", "An"):
            text, words = text[len(words[0]) :].lstrip(), words[1:]
        owned = names.possessive_split(words) if "'" in text or "’" in text else None
        if owned is not None and len(owned[0]) > 1:  # "The European Space Agency's Hera ... ESA said"
            words = [*owned[0][:-1], names.without_possessive(owned[0][-1])]
            text = " ".join(words)
        country = len(words) > 2 and (
            _DOTTED_WORD.match(words[0]) or words[0].lower() in _COUNTRY_WORDS
        ) and _initials_of_words(words[1:]) in wanted  # the name keeps its "U.S.", as the text gives it
        initials = _initials_of_words(words[1:] if country else words)
        short = initials if initials in wanted else "&".join(initials) if "&" in words else ""
        if short not in wanted or short in found:
            continue  # "Johnson & Johnson ... J&J said": the initials joined as the name joins them
        _skipped, name, kind = _parsed(text)
        if not name or kind == "person" or lookup(name) or classify(name) not in _COMPANY_KINDS:
            continue  # "News Group Newspapers ... NGN said": a publisher named like its papers
        if _initials_of_words(name.split()[1:] if country else name.split()) == initials:
            found[short] = name


def _initials_of_words(words: list[str]) -> str:
    return "".join(_initials_of(w) for w in words if w not in _NOT_INITIALLED)


def _split_on(words: list[str], separators: tuple[str, ...]) -> Iterator[list[str]]:
    part: list[str] = []
    for word in words:
        if word in separators:
            yield part
            part = []
        else:
            part.append(word)
    yield part


def _capitalised(word: str) -> str:
    return word[:1].upper() + word[1:]


def _index_full_name(words: list[str], people: dict[str, str], bodies: dict[str, str]) -> None:
    if len(words) < 2:
        return
    full, kind = _full_name_and_kind(tuple(words))
    owner = names.before_title(words) if kind == "person" else None
    if owner and not lookup(" ".join(owner)) and classify(" ".join(owner)) == "organisation":
        bodies.setdefault(_clean(owner[0]), " ".join(owner))  # "Chipotle Mexican Grill boss Brian Niccol"
    words = full.split()
    if len(words) < 2 or lookup(full):
        return
    if kind == "person" and names.plain(words[0]) not in names.COMMON_WORDS:
        people.setdefault(_clean(words[-1]), full)
        if words[-1][:1].islower():  # "Saad al-Kaabi ... Al-Kaabi said" at a sentence's start
            people.setdefault(_capitalised(_clean(words[-1])), full)
        if len(words) == 2 and all(w.isalpha() for w in words):  # "Liu Wenhao", later "Liu"
            people.setdefault(_FIRST + _clean(words[0]), full)
        if len(words) > 2 and all(w.isalpha() and w[:1].isupper() for w in words[:2]):
            people.setdefault(_clean(" ".join(words[:2])), full)  # "Sri Mulyani Indrawati"; "Sri Mulyani"
        if len(words) > 3:  # "Ana Lucía Ferreira Gómez", later "Ferreira Gómez"
            people.setdefault(_clean(" ".join(words[-2:])), full)
        if len(words) > 3 and words[-2][:1].islower():  # "Fernandez de Kirchner" for Cristina ...
            people.setdefault(_clean(" ".join(words[1:])), full)
    elif kind == "organisation" and not (
        (words[1] == "for" and names.plain(words[0]) not in _NOT_POLLSTERS)
        or " ".join(words[1:]).lower() in _COUNTRY_WORDS  # "Heineken Netherlands": a branch, not Heineken
    ):
        bodies.setdefault(_clean(words[0]), full)  # not "Kantara for the Morning Ledger": two names
        if names.plain(words[-1]) in _CLUB_ENDS:
            bodies.setdefault(_clean(words[-1]), full)  # "Manchester City ... City said"
        elif len(words) == 2 and names.plain(words[-1]) in _HEADS_NAMED_ALONE:
            bodies.setdefault(_clean(words[-1]), full)  # "the European Commission ... A Commission aide"
        if 2 <= len(words) - 2 <= 3 and words[-2] == "of" and words[-1].lower() in _COUNTRY_WORDS:
            bodies.setdefault(" ".join(words[:-2]), full)  # "the Law Society of Kenya ... The Law Society"


_CLUB_ENDS = frozenset({"city", "united", "rovers", "wanderers", "athletic", "albion", "hotspur"})
"""The word a club is called by after its full name ("City said", "United said")."""


_HEADS_NAMED_ALONE = frozenset({"commission", "parliament", "council", "senate", "tribunal"})
"""A body's head noun that wire copy, capitalised, uses alone for the body it named in full just before
("The European Commission fined ... A Commission spokesperson said")."""


_SHORT_FORMS = {"Fed": "Federal Reserve"}
"""A body wire copy names by a short form no rule can expand ("the Fed said")."""
_FIRST = "\x00"
"""The key prefix under which a two-word person's name is indexed by its first word."""


@functools.lru_cache(maxsize=16384)
def _full_name_and_kind(words: tuple[str, ...]) -> tuple[str, str]:
    """``_name_and_kind`` of a run's words, with the kind its own words give when no title did:
    worked out once per distinct run, however often a long text repeats it."""
    full, kind = _name_and_kind(list(words))
    return full, kind or classify(full)


def _resolve(
    hit: _Hit, people: dict[str, str], bodies: dict[str, str]
) -> tuple[str, str, KnownSource | None]:
    """The name and kind a hit is catalogued under: a known source's usual form, a surname's full
    name, a body's full name."""
    known = lookup(hit.name)
    if known:
        return known.name, "publication", known
    if hit.final:
        return hit.name, hit.kind or classify(hit.name), None
    if hit.name in _SHORT_FORMS:
        return _SHORT_FORMS[hit.name], "organisation", None
    if hit.kind == "person" and hit.name.count(" ") == 1 and hit.name in people:
        return people[hit.name], "person", None
    if hit.kind != "publication" and _HAS_LOWER.search(hit.name) and hit.name in people:
        return people[hit.name], "person", None  # "Fernandez de Kirchner wrote", named in full before
    if " " in hit.name and hit.kind == "organisation" and hit.name in bodies:
        return bodies[hit.name], "organisation", None  # "The Law Society said", named in full before
    if " " not in hit.name and hit.kind != "publication":
        if hit.name in people:
            return people[hit.name], "person", None
        if hit.name in bodies:
            return bodies[hit.name], "organisation", None
        if _FIRST + hit.name in people and not said_by_words(hit.name):
            return people[_FIRST + hit.name], "person", None
        if hit.kind == "person":
            return hit.name, "person", None
        return hit.name, classify(hit.name) if hit.kind is None else hit.kind, None
    return hit.name, hit.kind or classify(hit.name), None


def _short_forms(entries: dict[str, dict]) -> None:
    """ "The Times" after "The New York Times" is the same paper: fold a one-word short form into
    the one publication found that ends with that word. The longer names are indexed by their last
    word first, so the whole costs one pass over the entries."""
    ending: dict[str, list[dict]] = {}
    for entry in entries.values():
        words = entry["name"].split()
        if entry["kind"] == "publication" and len(words) > 2:
            ending.setdefault(words[-1], []).append(entry)
    for key, entry in list(entries.items()):
        words = names.drop_article(entry["name"].split())
        if entry["kind"] != "publication" or len(words) != 1:
            continue
        longer = [e for e in ending.get(words[0], ()) if e is not entry]
        if len(longer) == 1:
            longer[0]["mentions"] += entry["mentions"]
            del entries[key]


_TWO_SAID = re.compile(
    rf"\b[Tt]he{_SP}+(?:two{_SP}+)?(?:companies|groups|firms|banks|carmakers|airlines|miners|lenders|insurers|"
    rf"unions|retailers|brewers|chipmakers|operators|partners|clubs|teams){_SP}+{_ADVERBS}(?:said|say|announced)\b"
)


def _joint_hits(text: str, runs: list[re.Match], taken: set[int]) -> Iterator[_Hit]:
    """ "Newmont and Newcrest have agreed to combine, the two companies said in a joint statement":
    the two bodies named as "A and B" earlier in the sentence. Each look walks back over a few runs."""
    starts = [m.start() for m in runs]
    for said in _TWO_SAID.finditer(text):
        at = bisect.bisect_left(starts, said.start()) - 1
        while at >= 0 and runs[at].start() > said.start() - _PRONOUN_REACH:
            run = runs[at]
            at -= 1
            if _SENTENCE_END.search(text, run.end(), said.start()) is not None:
                break
            left, sep, right = run.group().rpartition(" and ")
            if not sep or run.start() in taken or len(left.split()) > 3 or len(right.split()) > 3:
                continue
            first = left.split()[0]
            if " " in left and (names.plain(first) in names.COMMON_WORDS or _PLURAL_ROLE.search(first)):
                left = left[len(first) :].lstrip()  # "Brewers Halvik and Orremont": a trade first
            for part, start in ((left, run.start()), (right, run.end() - len(right))):
                if not _refused(part, None, "", False) and not lookup(part):  # "the clubs": no person
                    yield _Hit(_clean(part), start, "organisation", final=True)
            break


_LOWER_HEADS = re.compile(
    rf"\b(?:ministry|central{_SP}+bank|government|cabinet|statistics{_SP}+(?:office|agency|bureau)|"
    rf"air{_SP}+force|navy|army|military|armed{_SP}+forces|regulator|weather{_SP}+(?:service|agency|bureau|office)|"
    rf"election{_SP}+commission|electoral{_SP}+commission|(?<=[a-z]{_SP})department|"
    rf"(?P<prosecutor>prosecutor['’]s{_SP}+office|prefecture))(?!\w)"
)
_NAMED_AFTER = re.compile(rf",{_SP}*[{_UPPER}]")
_SAYING_LATER = re.compile(
    rf"(?:[^.!?\n]|\.(?=\d)){{1,160}}?(?:,{_SP}+saying|{_SP}+and{_SP}+(?:said|signalled|signaled|warned))\b"
)
"""``Chile's environmental regulator rejected a project on Thursday, saying``: the subject speaks."""
_LOWER_OWNER = re.compile(
    rf"(?:\b(?P<owner>[{_UPPER}][\w-]+(?:{_SP}+[{_UPPER}][\w-]+)?)['’]s"
    rf"|\b[Tt]he{_SP}+(?P<adjective>[{_UPPER}][a-z]+)|\b(?P<pronoun>[Ii]ts|[Tt]he))"
    rf"(?P<words>(?:{_SP}+[a-z][a-z-]+){{0,3}}?){_SP}+$"
)
_MORE_COUNTRIES = frozenset({
    "israel", "jordan", "georgia", "chad", "south korea", "north korea", "saudi arabia", "south africa",
    "new zealand", "united states", "sri lanka", "ivory coast", "burkina faso", "sierra leone",
})  # fmt: skip
_COUNTRY_WORDS = COUNTRIES | _MORE_COUNTRIES
_COUNTRY_BEFORE = re.compile(
    rf"\b(?P<country>[{_UPPER}][a-z]+(?:{_SP}+[{_UPPER}][a-z]+)?)(?=['’]s\b|{_SP}+(?:has|have|had|is|was|will|[a-z]{{3,}}ed)\b)"
)
_ADJECTIVE_COUNTRIES = {
    "egyptian": "Egypt", "french": "France", "german": "Germany", "italian": "Italy", "spanish": "Spain",
    "chinese": "China", "japanese": "Japan", "russian": "Russia", "turkish": "Turkey", "polish": "Poland",
    "greek": "Greece", "irish": "Ireland", "canadian": "Canada", "australian": "Australia",
    "mexican": "Mexico", "brazilian": "Brazil", "indian": "India", "israeli": "Israel",
    "iranian": "Iran", "kenyan": "Kenya", "nigerian": "Nigeria", "ghanaian": "Ghana",
    "ukrainian": "Ukraine", "british": "Britain", "dutch": "Netherlands", "swiss": "Switzerland",
    "swedish": "Sweden", "norwegian": "Norway", "danish": "Denmark", "finnish": "Finland",
    "portuguese": "Portugal", "chilean": "Chile", "argentine": "Argentina", "peruvian": "Peru",
    "colombian": "Colombia", "indonesian": "Indonesia", "thai": "Thailand", "vietnamese": "Vietnam",
    "pakistani": "Pakistan", "bangladeshi": "Bangladesh", "tunisian": "Tunisia",
    "moroccan": "Morocco", "algerian": "Algeria", "ethiopian": "Ethiopia", "ugandan": "Uganda",
    "tanzanian": "Tanzania", "zambian": "Zambia", "malaysian": "Malaysia", "philippine": "Philippines",
    "hungarian": "Hungary", "romanian": "Romania", "czech": "Czechia", "austrian": "Austria",
    "belgian": "Belgium", "saudi": "Saudi Arabia", "iraqi": "Iraq", "syrian": "Syria",
    "lebanese": "Lebanon", "jordanian": "Jordan", "venezuelan": "Venezuela", "cuban": "Cuba",
}  # fmt: skip
"""A country named by its adjective before a lower-case body ("the Egyptian supply ministry said"):
catalogued in the possessive form the set gives such bodies ("Egypt's supply ministry")."""
_LOWER_BODY_WORDS = frozenset({
    "and", "or", "of", "the", "a", "an", "its", "their", "his", "her", "that", "which",
})  # fmt: skip


_NOT_NATIONAL = re.compile(r"\b(?:regional|local|provincial|municipal|city|state|county|district)\b")
_CAPITALISED_WORD = re.compile(rf"\b[{_UPPER}][a-z]+\b")
_ADJECTIVE_REACH = 300


def _only_country_adjective(text: str, start: int, end: int) -> str | None:
    """ "The average price of rice in Japanese supermarkets rose ..., the agriculture ministry said":
    the country whose adjective is the only one in the sentence before the body (a short window, so
    each look costs the same)."""
    found = set()
    for word in _CAPITALISED_WORD.finditer(text, max(start, end - _ADJECTIVE_REACH), end):
        key = word.group().lower()
        if key in _ADJECTIVE_COUNTRIES:
            found.add(_ADJECTIVE_COUNTRIES[key])
        elif key in _COUNTRY_WORDS and not _CAPITALISED_BEFORE.search(
            text, max(0, word.start() - 20), word.start()
        ):  # "Serbia signed a deal ... to the Hungarian border"; not "New South Wales"
            found.add(word.group())
    return found.pop() if len(found) == 1 else None


def _lower_case_bodies(text: str) -> Iterator[_Hit]:
    """ "Chile's mining ministry said", "Uganda has confirmed ..., its health ministry said": a body
    named in lower case after its country's possessive (or "its"/"the" when the sentence opened with
    the country) that a verb of attribution follows. Catalogued in the set's form, "Chile's mining
    ministry". Each look reads a few words either side of a head noun, so the whole stays linear."""
    for head in _LOWER_HEADS.finditer(text):
        said = _ATTRIBUTION.match(text, head.end())
        if said is not None and said.group("appositive") is None and said.group().startswith(",") and not (
            said.group()[1:].lstrip().startswith(("which", "who"))
        ):
            continue  # "The Pentagon, in its annual report on Russia's military, said": an aside ends
        if said is not None and (said.group("body_noun")
                                 or _NAMED_AFTER.match(said.group("appositive") or "")):
            continue  # "Spain's state weather agency, AEMET, said": the name itself is found
        before = _LOWER_OWNER.search(text, max(0, head.start() - 60), head.start())
        if before is None or any(w in _LOWER_BODY_WORDS for w in before.group("words").split()):
            continue
        if said is None and not (
            before.group("owner") and _SAYING_LATER.match(text, head.end())
            and _SUBJECT_BEFORE.search(text, max(0, before.start() - 12), before.start())
        ):
            continue
        body = " ".join((before.group("words") + " " + head.group()).split())
        if _NOT_NATIONAL.search(before.group("words")):
            continue  # "police and the regional government said": not the country's government
        if head.group("prosecutor"):  # "the Bordeaux prosecutor's office said", "the Savoie prefecture said"
            place = before.group("adjective")
            if place and not _DEMONYM.match(place) and names.plain(place) not in names.COMMON_WORDS:
                yield _Hit(f"{place} {body}", before.start(), "organisation")
            continue
        if " " not in body and body not in ("government", "cabinet", "navy", "army", "military") and not (
            before.group("owner")
        ):
            continue  # "the ministry said": a ministry named before, not the country's whole government
        owner = before.group("owner") or _ADJECTIVE_COUNTRIES.get((before.group("adjective") or "").lower())
        if owner is None and before.group("adjective") is not None:
            continue
        if owner is None:
            sentence = max(text.rfind(". ", 0, before.start()), text.rfind("\n", 0, before.start())) + 1
            first = _COUNTRY_BEFORE.search(text, sentence, before.start())
            opens = first is not None and not re.search(r"\b[a-z]", text[sentence:first.start()])
            owner = first.group("country") if opens else _only_country_adjective(
                text, sentence, before.start()
            )
        if owner is None or " ".join(owner.split()).lower() not in _COUNTRY_WORDS:
            continue
        yield _Hit(f"{' '.join(owner.split())}'s {body}", before.start(), "organisation")


def _hit_described(text: str, hit: _Hit) -> bool:
    """Whether the mention a hit was found at is described as a body's. The hit may start at a word
    before the name ("Publisher Jonathan Cape said"), so the name is looked for a little after it;
    a mention written otherwise (a surname alone) is judged by the words before the hit."""
    at = text.find(hit.name, hit.start, hit.start + len(hit.name) + 80)
    if at < 0:
        return described_as_body(text, hit.start, hit.start)
    return described_as_body(text, at, at + len(hit.name))


def detect_references(text: str) -> list[dict]:
    """Proposed ``references`` entries, most-mentioned first, all ``confirmed: false``."""
    runs: list[re.Match] = []
    hits = _hits(text, runs)
    taken = {h.start for h in hits}
    hits = sorted(hits + list(_company_hits(text, runs, taken)) + list(_pronoun_hits(text, runs, taken))
                  + list(_lower_case_bodies(text)) + list(_joint_hits(text, runs, taken))
                  + list(_head_noun_hits(text, runs, taken)) + list(_aged_hits(text, runs)),
                  key=lambda h: h.start)
    wanted = {h.name for h in hits if " " not in h.name and not lookup(h.name)}
    wanted |= {w for h in hits if h.kind == "person" and h.name.count(" ") == 1 for w in h.name.split()}
    wanted |= {w for h in hits if _HAS_LOWER.search(h.name) and not lookup(h.name) for w in h.name.split()}
    short = {w for w in wanted if _ACRONYM_WORD.match(w) or _AMPERSANDED.match(w)}
    wanted |= {h.name.split()[0] for h in hits if h.kind == "organisation" and 1 <= h.name.count(" ") <= 2}
    people, bodies = _full_names(runs, wanted) if wanted else ({}, {})
    bodies.update(_spelled_out(text, runs, short))
    resolved = [(hit, *_resolve(hit, people, bodies)) for hit in hits]
    described = {name for hit, name, kind, known in resolved
                 if not known and given_named_person(name, kind) and _hit_described(text, hit)}
    entries: dict[str, dict] = {}
    for _, name, kind, known in resolved:
        if not known:  # "Rotarian Jenny Mwape", "Peter Schroecksnadel said": a person's name after all
            name, kind = last_look(name, kind, described=name in described)
        entry = entries.get(name.lower())
        if entry is None:
            entry = {"name": name, "kind": kind}
            if known:
                entry["url"] = known.url
            entry["mentions"] = 0
            entry["confirmed"] = False
            entries[name.lower()] = entry
        entry["mentions"] += 1
    _short_forms(entries)
    return sorted(entries.values(), key=lambda e: -e["mentions"])
