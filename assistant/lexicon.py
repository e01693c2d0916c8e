"""The language of music requests, without a catalog: moods, activities, years, lengths, caps, ordering.

Every finder works on `normalize(text)`, a lower-cased, accent-folded copy of the request that keeps
each character at its place, so a match's span points into the original text as well (to cut the
phrase out of the description, or to look at the user's capitals). `assistant.understand` grounds
the rest (genres, artists, tracks) in a catalog.

Mood ranges are deliberately loose: measured on the default catalog (28k tracks), each mood word keeps
roughly 10-45% of the tracks, so a mood narrows the search without starving it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from retrieval.filters import Range

# --------------------------------------------------------------------------- text


_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"',
                         "–": "-", "—": "-", "‐": "-", "‑": "-"})


_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Cyrillic and Greek letters drawn like Latin ones. "Еріс sоngs lіkе ..." (a real request) mixes them into
# English words, which then match nothing in English and pull Russian titles by their letters.
_LOOKALIKES = dict(zip("АВЕКМНОРСТХУаеорсухіјѕІЈЅԁһӏΑΒΕΖΗΙΚΜΝΟΡΤΥΧοικν",
                       "ABEKMHOPCTXYaeopcyxijsIJSdhlABEZHIKMNOPTYXoikv"))
_UNSPOOF = str.maketrans(_LOOKALIKES)
_WORDS = re.compile(r"\w+")


def _unspoofed(text: str) -> str:
    """When a word mixes Latin letters with look-alikes, every word written only in Latin letters and look-alikes
    back in Latin; a word in real Cyrillic or Greek ("Табор") keeps its letters. One character for one."""
    def spoofable(word: str) -> bool:
        return all(c.isascii() or c in _LOOKALIKES for c in word)

    if not any(spoofable(w) and not w.isascii() and re.search(r"[A-Za-z]", w) for w in _WORDS.findall(text)):
        return text
    return _WORDS.sub(lambda m: m.group(0).translate(_UNSPOOF) if spoofable(m.group(0)) else m.group(0), text)


def clean(text: str, max_chars: int) -> str:
    """The request as the parser reads it: NFKC, look-alike letters of a spoofed word in Latin, control characters
    as spaces, at most `max_chars` long."""
    if text.isascii():
        return _ASCII_CONTROL.sub(" ", text[:max_chars])
    text = _unspoofed(unicodedata.normalize("NFKC", text[: max_chars * 2])[:max_chars])
    return "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text).translate(_QUOTES)


def _fold_char(c: str) -> str:
    low = c.lower()
    if len(low) != 1:
        return c
    base = [x for x in unicodedata.normalize("NFKD", low) if not unicodedata.combining(x)]
    return base[0] if len(base) == 1 else low


def normalize(text: str) -> str:
    """Lower case without accents, one character for one: `normalize(t)[i]` is `t[i]` folded."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(c) for c in text)


@dataclass(frozen=True)
class Finding:
    """One constraint read from the request: which spec field, its value, and where it was said."""

    field: str
    value: Any
    start: int
    end: int


# --------------------------------------------------------------------------- numbers

NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "couple": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "twenty five": 25, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100,
}
_NUM = r"(?:\d{1,3}(?:\.\d+)?|twenty[ -]five|" + "|".join(sorted((w for w in NUMBER_WORDS if " " not in w),
                                                                  key=len, reverse=True)) + ")"


def _number(text: str) -> float:
    text = text.strip().replace("-", " ")
    return float(text) if text[0].isdigit() else float(NUMBER_WORDS[text])


# --------------------------------------------------------------------------- years

_DECADE_WORDS = {"fifties": 1950, "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990,
                 "noughties": 2000, "aughts": 2000}
_DECADE = re.compile(
    r"(?<![\w.])(?:(early|mid|late)[\s-]*)?(?:(1[89]\d0|20\d0)'?s|'?(\d)0'?s|(" + "|".join(_DECADE_WORDS) + r"))(?!\w)"
)
_DECADE_JOIN = re.compile(r"\s*(?:-|–|to|and|or|&|through|thru)\s*")
_YEAR = r"(19\d\d|20\d\d)"
_RELEASED = r"(?:(?:released|recorded|made|put out|came out|coming out)\s+)?"
_YEAR_RANGE = re.compile(rf"(?<![\w.]){_RELEASED}(?:from |between )?{_YEAR} ?"
                         rf"(?:-|to|and|until|till|through|thru) ?{_YEAR}(?![\w.])")
_YEAR_OR_DECADE = rf"(?:{_YEAR}|'?(\d0)'?s|(1[89]\d0|20\d0)'?s)"  # "1995", "90s", "1990s": three groups
_BEFORE = re.compile(rf"(?<![\w]){_RELEASED}(before|until|till|pre|prior to|older than|up to|no later than)"
                     rf"[\s-]+(?:the )?{_YEAR_OR_DECADE}(?![\w.])")
_AFTER = re.compile(rf"(?<![\w]){_RELEASED}(after|since|post|newer than|from|no earlier than)[\s-]+(?:the )?"
                    rf"{_YEAR_OR_DECADE}(?![\w.])")
# Words that turn the bound after them away, a year's or a feature's: "nothing after 2015" is up to 2015, "take
# out anything before 2010" from 2010, "nothing slower than 120 bpm" a tempo of at least 120
_TURNED_DOWN = re.compile(
    r"\b(?:(?:nothing|none|never|not|no(?: (?:songs?|tracks?|music|stuff))?|without)\s+|(?:remove|drop|cut|delete|"
    r"ditch|lose|skip|get rid of|take out|throw out|kick out)\s+)(?:(?:anything|everything|all|any|the|songs?|"
    r"tracks?|ones|stuff|music|of|that'?s|that|which|are|is|were|was|with|at|released|recorded|made)\s+){0,4}"
    r"(?:from\s+)?(?:the\s+)?$")
# A year or decade left open on one side: "2000s and later", "the 90s onwards", "2010+", "80s and earlier"
_WHEN = rf"(?<![\w.]){_YEAR_OR_DECADE}"
_OPEN_LATER = re.compile(rf"{_WHEN}(?:\s*(?:and|or|&)\s+(?:later|newer|after|up|above|beyond|onwards?|more recent)\b"
                         r"|\s+(?:onwards?|forward)\b|\s+on(?=\s*(?:[.,;!?]|$))|\+)")
_OPEN_EARLIER = re.compile(rf"{_WHEN}\s*(?:and|or|&)\s+(?:earlier|older|before|below|prior)\b")
_BARE_YEAR = re.compile(rf"(?<![\w.$#-]){_YEAR}(?![\w.%-])")
# not "those recent additions are great": the tracks just added, not the latest years
_RECENT = re.compile(r"\b(?:(?:recent|latest|newer|newest)(?!\s+(?:additions?|picks|suggestions|"
                     r"recommendations|changes|batch|round|list|adds)\b)|brand[- ]new|new releases?|"
                     r"new(?:ly)? released|this year'?s?|last (?:few|couple of|couple|two|2|three|3) years)\b")
# "songs my grandpa would like": what grandparents grew up with, the oldies
_OLD = re.compile(r"\b(?:old[- ]?school|throwbacks?|retro|oldies|golden oldies|"
                  r"(?:grand(?:pa|ma|dad|mom|mother|father|parents?)|granny|nana)(?:'?s)?)\b")
# "the last couple of decades", "the past 10 years", "this decade": years counted back from the catalog's latest
_SPAN_COUNTS = {"a": 1, "one": 1, "two": 2, "couple": 2, "couple of": 2, "few": 3, "three": 3, "four": 4, "five": 5,
                "several": 5, "ten": 10, "twenty": 20}
_LAST_SPAN = re.compile(r"\b(?:(?:the )?(?:last|past) (?P<n>\d{1,2}|" + "|".join(sorted(_SPAN_COUNTS, key=len,
                        reverse=True)) + r") (?P<units>years|decades)|(?:the )?(?:last|past) (?P<unit>year|decade)|"
                        r"this (?P<this>decade))\b")
_NEW_SCHOOL = re.compile(r"\bnew[- ]?school\b")
RECENT_YEARS = 3
OLD_SCHOOL_MAX = 1999
NEW_SCHOOL_MIN = 2010
OLDIES_MAX = 1979


def _decade_start(two_digits: int, latest_year: int) -> int:
    # "20s" is the 2020s once the catalog reaches 2020, and the 1920s before; "00s" and "10s" are 21st century.
    century = 2000 if 2000 + two_digits <= latest_year else 1900
    return century + two_digits


def _decade_of(year: str | None, two: str | None, four: str | None, latest_year: int) -> tuple[int, int]:
    """The first and last year of a year ("1995"), a two-digit decade ("90") or a four-digit one ("1990")."""
    if year:
        return int(year), int(year)
    start = int(four) if four else _decade_start(int(two or 0), latest_year)
    return start, start + 9


def counts_back(phrase: str) -> bool:
    """Whether a phrase counts years back from now ("the past 10 years"): no name ("The Past") holds it."""
    return bool(_LAST_SPAN.fullmatch(phrase))


def find_years(low: str, latest_year: int = 2020) -> list[Finding]:
    """Year constraints: decades ("80s", "late 1990s", "eighties"), "before 2000", "after 2010",
    "from 1995 to 2005", a bare year, "the past 10 years" / "the last couple of decades" (back from the catalog's
    latest year), "recent"/"newer" (the last 3 catalog years), "new school" (the 2010s on) and
    "old school"/"oldies" (these vague words only when no years are said); the other side of a limit turned
    down ("nothing after 2015": up to 2015), and a year or decade left open ("2000s and later").
    Each finding's value is a (min, max) pair, either end None."""
    out: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def add(value: tuple[int | None, int | None], m: re.Match[str], start: int | None = None) -> None:
        start = m.start() if start is None else start
        if any(s < m.end() and start < e for s, e in taken):
            return
        taken.append((start, m.end()))
        out.append(Finding("years", value, start, m.end()))

    for m in _YEAR_RANGE.finditer(low):
        a, b = sorted((int(m.group(1)), int(m.group(2))))
        add((a, b), m)
    for m in _OPEN_LATER.finditer(low):
        add((_decade_of(m.group(1), m.group(2), m.group(3), latest_year)[0], None), m)
    for m in _OPEN_EARLIER.finditer(low):
        add((None, _decade_of(m.group(1), m.group(2), m.group(3), latest_year)[1]), m)
    for m in _BEFORE.finditer(low):
        lo, hi = _decade_of(m.group(2), m.group(3), m.group(4), latest_year)
        down = _TURNED_DOWN.search(low, 0, m.start())
        if m.group(1) in ("before", "prior to", "older than") and down:
            add((lo, None), m, down.start())  # "nothing older than the 2000s": from the 2000s on
        else:
            add((None, hi if m.group(1) in ("until", "till", "up to", "no later than") else lo - 1), m)
    for m in _AFTER.finditer(low):
        lo, hi = _decade_of(m.group(2), m.group(3), m.group(4), latest_year)
        if m.group(1) == "from":
            add((lo, hi), m)  # "from 2019", "from the 80s": that year or decade, not "since"
        elif m.group(1) in ("after", "since", "newer than") and (down := _TURNED_DOWN.search(low, 0, m.start())):
            add((None, hi if m.group(1) != "since" else lo - 1), m, down.start())  # "nothing after 2015": to 2015
        else:
            add((hi + 1 if m.group(1) in ("after", "post", "newer than") else lo, None), m)
    previous: re.Match[str] | None = None
    for m in _DECADE.finditer(low):
        part, four, two, word = m.groups()
        start = int(four) if four else _DECADE_WORDS[word] if word else _decade_start(int(two) * 10, latest_year)
        if (two and previous is not None and previous.group(3) and int(previous.group(3)) < int(two)
                and _DECADE_JOIN.fullmatch(low[previous.end():m.start()])
                and out and out[-1].start == previous.start()):
            # "20s-30s": one century for both (the 1920s and 1930s, not 1930-2029)
            shift = (start - int(two) * 10) - (_decade_start(int(previous.group(3)) * 10, latest_year)
                                              - int(previous.group(3)) * 10)
            lo, hi = out[-1].value
            out[-1] = Finding("years", (lo + shift, hi + shift), out[-1].start, out[-1].end)
        previous = m
        lo, hi = start, start + 9
        if part == "early":
            hi = start + 3
        elif part == "mid":
            lo, hi = start + 3, start + 6
        elif part == "late":
            lo = start + 6
        add((lo, hi), m)
    for m in _BARE_YEAR.finditer(low):
        y = int(m.group(1))
        if y <= latest_year + 1:
            add((y, y), m)
    if out:  # "oldies from the 1950s", "throwback 2000s hits": the years said win over the vague word
        return sorted(out, key=lambda f: f.start)
    for m in _LAST_SPAN.finditer(low):  # vague too: "a reissue from earlier this year - Psych from the 70's"
        count, unit = m.group("n"), m.group("units") or m.group("unit") or m.group("this")
        n = (int(count) if count.isdigit() else _SPAN_COUNTS[count]) if count else 1
        span = n * 10 if unit.startswith("decade") else n
        lo = latest_year // 10 * 10 if m.group("this") else latest_year - span + 1  # "this decade": since it began
        if 0 < span <= 100:
            add((lo, None), m)
    for m in _RECENT.finditer(low):
        add((latest_year - RECENT_YEARS + 1, None), m)
    for m in _NEW_SCHOOL.finditer(low):
        add((NEW_SCHOOL_MIN, None), m)
    for m in _OLD.finditer(low):
        add((None, OLDIES_MAX if re.search(r"oldies|gran|nana", m.group(0)) else OLD_SCHOOL_MAX), m)
    return sorted(out, key=lambda f: f.start)


def merge_years(findings: list[Finding]) -> tuple[int | None, int | None]:
    """One range covering every year finding ("80s and 90s" -> 1980-1999)."""
    lows = [f.value[0] for f in findings]
    highs = [f.value[1] for f in findings]
    lo = None if any(v is None for v in lows) else min(lows, default=None)
    hi = None if any(v is None for v in highs) else max(highs, default=None)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return lo, hi


def parse_years(text: str, latest_year: int = 2020) -> tuple[int | None, int | None] | None:
    """The year range a text asks for, e.g. "late 80s" -> (1986, 1989), "before 2000" -> (None, 1999)."""
    found = find_years(normalize(text), latest_year)
    return merge_years(found) if found else None


# --------------------------------------------------------------------------- length

# Counts of songs: "a song" is not a request for exactly one track.
_COUNT = r"(?:\d{1,3}|twenty[ -]five|" + "|".join(sorted((w for w in NUMBER_WORDS if w not in ("a", "an", "single")
                                                        and " " not in w), key=len, reverse=True)) + ")"
# What a count counts. Nouns that also say something ("hits", "deep cuts", "ballads") stay for the other finders.
_PLAIN_NOUNS = r"(?:songs?|tracks?|tunes?)"
_MUSIC_NOUNS = (r"(?:songs?|tracks?|tunes?|jams?|bangers?|bops?|anthems?|ballads?|classics|hits|cuts|records|pieces"
                r"|singles)")
# Words a count's noun phrase never runs through: "3 per artist", "10 minutes", "2 of my songs", "5 by Drake".
_NOT_MODIFIERS = (r"(?:by|from|per|like|than|of|for|with|without|no|not|at|in|on|to|is|are|was|but|or|each|every"
                  r"|my|your|his|her|their|our|minutes?|mins?|hours?|hrs?|seconds?|years?|days?|weeks?|times?|bpm"
                  r"|percent|artists?|bands?|playlists?)")
# "8 upbeat dance pop tracks", "a dozen chill songs", "25 post-teen pop songs", "10 80s hits", "10 Maroon 5 songs":
# a number, at most four words that describe, and a music noun. Only the number (with "a", "top", ...) is the
# finding's span, so the words between stay free for the genre, mood and name readers.
_N_TRACKS = re.compile(
    rf"(?<![\w.$#-])(?P<count>(?:(?:top|a list of|playlist of|list of|a)\s+)?(?P<n>{_COUNT}))(?![\w.])"
    rf"(?P<mods>(?:[\s-]+(?!{_NOT_MODIFIERS}\b)(?:[a-z][\w&'+.-]*|\d+'?s?)){{0,4}}?)"
    rf"[\s-]+(?P<noun>{_MUSIC_NOUNS})\b(?P<of>\s+of\b)?")
# "top 10" is a count; "Top 40" alone is the chart (hits), and "top 10 hits" says both; "some songs in the top
# 100" is the chart too
_IN_THE = r"(?<!\bin the )(?<!\bon the )(?<!\bof the )(?<!\bfrom the )"
_TOP_N = re.compile(rf"{_IN_THE}\btop\s+(?!40\b(?!\s+(?:songs?|tracks?)\b))(\d{{1,3}})\b")
# A number alone where only a count fits: "make it 6", "give me 25 please", "just 10", "30 in total".
_BARE_COUNT = re.compile(
    rf"(?:\b(?:make it|make that|make them|give me|gimme|i want|i need|i'?d like|let'?s do|lets do|how about|just"
    rf"|limit (?:it )?to|cap (?:it )?at|keep it (?:to|at)|cut (?:it )?to|shorten (?:it )?to)\s+)"
    rf"(?P<n>{_COUNT})(?=\s*(?:$|[,.;:!?)]|(?:please|pls|thanks|thank you|total|in total|of them|max|tops|or so|and|but"
    rf"|instead|now)\b))"
    rf"|(?<![\w.$#-])(?P<m>{_COUNT})\s+(?:in\s+)?total\b")
MIN_DESCRIBED_COUNT = 3
_POSSESSIVE_BEFORE = re.compile(r"\b(?:my|your|his|her|their|our|these|those)\s+$")
_DURATION = re.compile(
    rf"(?<![\w.])(?:(half an?|half)\s+hour|(?:an?|one)\s+hour\s+and\s+a\s+half|(?:an?\s+)?(hour)[\s-]+long"
    rf"|(\d{{1,3}}(?:\.\d+)?)\s*(h|hrs?|hours?|minutes?|mins?)(?:\s*(\d{{1,2}})\s*(?:minutes?|mins?|m)?)?"
    rf"|({_NUM})[\s-]+(?:and a half\s+)?(hours?|hrs?|minutes?|mins?)(\s+and a half)?)(?!\w)(?:\s+(?:of|long)\b)?"
)


_SHORTER_THAN = r"under|below|less than|shorter than|no longer than|not longer than|at most|max(?:imum)?|up to"
_LONGER_THAN = r"over|above|more than|longer than|at least|min(?:imum)?"
# A playlist's length as a bound: "under an hour", "no more than 20 songs", "an hour or less", "45 minutes max",
# "at least 2 hours", "an hour or more"
_AT_MOST_BEFORE = re.compile(rf"\b(?:{_SHORTER_THAN}|no more than|not more than|within)\s+$")
_AT_LEAST_BEFORE = re.compile(rf"\b(?:{_LONGER_THAN}|no less than|not less than|no shorter than)\s+$")
_AT_MOST_AFTER = re.compile(r"\s*(?:or (?:less|under|shorter|fewer)|max(?:imum)?|tops|at most|at the most)\b")
_AT_LEAST_AFTER = re.compile(r"\s*(?:or (?:more|longer|over)\b|min(?:imum)?\b|at least\b|at the least\b|plus\b|\+)")
_ABOUT_AS_LONG = r"about|around|roughly|approximately|approx\.?|~"
_TRACK_LENGTH = re.compile(
    rf"(?:\b(?P<noun>songs?|tracks?|tunes?|ones|nothing|anything)\s+(?:that(?:'s| is| are)\s+|which are\s+|each\s+)?)?"
    rf"(?:\b|(?=~))(?P<cmp>{_SHORTER_THAN}|{_LONGER_THAN}|{_ABOUT_AS_LONG})\s*(?P<n>{_NUM})"
    rf"(?::(?P<sec>[0-5]\d)(?:\s*(?:minutes?|mins?|m)\b)?|\s*(?:minutes?|mins?|m)\b)"
    rf"(?P<tail>(?:\s+(?:each|long|apiece|a (?:song|track)|per (?:song|track)))*)")


def find_track_length(low: str) -> list[Finding]:
    """"songs under 4 minutes", "tracks no longer than 3:30", "over 6 minutes each", "nothing longer than 5
    minutes", "songs about 3 minutes long" (half a minute either side) -> track_minutes (each track's length, a
    Range in minutes). A bound counts only with a music noun before it or "each"/"long"/"per song" after it:
    "under 40 minutes" alone is the playlist's length (`find_length`)."""
    out: list[Finding] = []
    for m in _TRACK_LENGTH.finditer(low):
        if not m.group("noun") and not m.group("tail").strip():
            continue
        value = _number(m.group("n")) + (int(m.group("sec")) / 60 if m.group("sec") else 0.0)
        if re.fullmatch(_ABOUT_AS_LONG, m.group("cmp")):
            if m.group("tail").strip():  # "songs about 3 minutes long"; "songs about 40 minutes" is the playlist's
                out.append(Finding("track_minutes", Range(min=max(value - 0.5, 0.0), max=value + 0.5),
                                   m.start("cmp"), m.end()))
            continue
        shorter = re.fullmatch(_SHORTER_THAN, m.group("cmp")) is not None
        # "nothing over 5 min", "get rid of anything over 6 minutes": the other side is kept
        if m.group("noun") == "nothing" or _TURNED_DOWN.search(low, 0, m.start()):
            shorter = not shorter
        # the span leaves the noun to the count reader: "20 songs under 4 minutes each"
        out.append(Finding("track_minutes", Range(max=value) if shorter else Range(min=value), m.start("cmp"),
                           m.end()))
    return out


def length_bound(low: str, start: int, end: int) -> Finding | None:
    """The bound said around the length at `low[start:end]`: "under an hour", "no more than 20 songs", "an hour or
    less", "45 minutes max" -> length_bound "at_most"; "at least 2 hours", "an hour or more" -> "at_least"."""
    for pattern, bound in ((_AT_MOST_BEFORE, "at_most"), (_AT_LEAST_BEFORE, "at_least")):
        if m := pattern.search(low, max(0, start - 20), start):
            return Finding("length_bound", bound, m.start(), start)
    for pattern, bound in ((_AT_MOST_AFTER, "at_most"), (_AT_LEAST_AFTER, "at_least")):
        if m := pattern.match(low, end):
            return Finding("length_bound", bound, end, m.end())
    return None


def find_length(low: str) -> list[Finding]:
    """"20 songs", "a dozen tracks", "8 upbeat dance pop tracks", "top 10", "make it 6", "25 in total" -> n_tracks;
    "40 minutes", "an hour", "1.5 hours", "half an hour", "1h30" -> minutes, with its bound if one is said ("under
    an hour": `length_bound`). A number inside a name ("Maroon 5 songs", "Blink-182") is the caller's to rule out:
    the lexicon does not know the catalog."""
    out: list[Finding] = []
    for m in _DURATION.finditer(low):
        half, hour_long, digits, unit, extra, word, word_unit, _ = m.groups()
        if half:
            minutes = 30.0
        elif hour_long:
            minutes = 60.0
        elif digits:
            minutes = float(digits) * (60 if unit.startswith("h") else 1)
            if extra and unit.startswith("h"):
                minutes += float(extra)
        elif word:
            hours = word_unit.startswith("h")
            minutes = _number(word) * (60 if hours else 1) + (30 if hours and "and a half" in m.group(0) else 0)
        else:  # "an hour and a half"
            minutes = 90.0
        if minutes > 0:
            out.append(Finding("minutes", minutes, m.start(), m.end()))
            if bound := length_bound(low, m.start(), m.end()):
                out.append(bound)
    counts: list[tuple[str, int, int, int]] = []  # (number, start, end of the span to claim, least count)
    for m in _N_TRACKS.finditer(low):
        if _POSSESSIVE_BEFORE.search(low, 0, m.start()):
            continue  # "my 3 favourite songs" names songs, it does not ask for a count
        if not m.group("mods") and re.fullmatch(_PLAIN_NOUNS, m.group("noun")):
            counts.append((m.group("n"), m.start(), m.end(), 2))
        else:  # "two different songs that fit" is seldom a playlist's length
            counts.append((m.group("n"), m.start(), m.end("count"), MIN_DESCRIBED_COUNT))
    counts += [(m.group(1), m.start(), m.end(), 2) for m in _TOP_N.finditer(low)]
    counts += [(m.group("n") or m.group("m"), m.start(), m.end(), 2) for m in _BARE_COUNT.finditer(low)]
    for number, start, end, least in counts:
        if any(f.start < end and start < f.end for f in out):
            continue
        n = _number(number)
        if n >= least:
            out.append(Finding("n_tracks", int(n), start, end))
    return out


# --------------------------------------------------------------------------- caps per artist

_WHO = r"(?:artists?|bands?|singers?|performers?|groups?|acts?|musicians?)"
# How a cap is said before its number: "max 2 per artist", "no more than one Queen song"
_AT_MOST = r"max(?:imum)?(?: of)?|a maximum of|at most|up to|no more than|not more than|limit(?: of)?|limited to"
_CAP = re.compile(
    rf"(?:\b(?:{_AT_MOST}|only|just)\s+)?"
    rf"\b({_NUM})\s+(?:songs?\s+|tracks?\s+)?(?:per|from each|by each|for each|each|from any|by any)\s+{_WHO}\b"
)
# "no artist more than twice", "no band more than 3 times" (it added tracks by the band TWICE)
_CAP_TIMES = re.compile(rf"\b(?:no|not any|no one|none)\s+{_WHO}\s+(?:appears?\s+|plays?\s+|shows? up\s+)?"
                        rf"(?:more than|over)\s+(?P<n>once|twice|thrice|(?:{_NUM})\s+times)\b")
_TIMES = {"once": 1, "twice": 2, "thrice": 3}
_CAP_ONE = re.compile(
    rf"\b(?:(?:all |only |every song by (?:a )?|each song by (?:a )?)?different {_WHO}|no repeat(?:ed|ing|s)? {_WHO}"
    rf"|no {_WHO} twice|no duplicate {_WHO}|each {_WHO} (?:only )?once|no {_WHO} repeats?"
    rf"|(?:don'?t|do not|never) repeat (?:an? |the |any )?{_WHO}"
    # "more variety", "it's too repetitive", "from various artists": the same artists again is what tires
    rf"|more (?:variety|varied|diverse|diversity|variation)|(?:a )?(?:wider|bigger|greater) variety|less repetitive"
    rf"|(?:too|so|very|bit) (?:repetitive|samey|similar|alike)|(?:all )?sound (?:the same|alike)"
    rf"|(?:variety|mix) of {_WHO}|(?:various|varied|diverse) {_WHO}"
    rf"|too (?:many|much) (?:(?:songs|tracks|stuff|music) )?(?:by|from) (?:the same|one|any one|a single) {_WHO})\b"
)


def find_artist_cap(low: str) -> list[Finding]:
    """"max 2 per artist", "no more than one song per artist", "different artists" (-> 1), "no artist more than
    twice" (-> 2)."""
    out = [Finding("max_per_artist", int(_number(m.group(1))), m.start(), m.end())
           for m in _CAP.finditer(low) if _number(m.group(1)) >= 1]
    out += [Finding("max_per_artist", 1, m.start(), m.end()) for m in _CAP_ONE.finditer(low)]
    out += [Finding("max_per_artist", _TIMES.get(m.group("n")) or int(_number(m.group("n").split()[0])), m.start(),
                    m.end()) for m in _CAP_TIMES.finditer(low)]
    return out


# A cap on one artist, said before or around the name: "at most 3 songs by Queen", "no more than one Queen song".
# "only"/"just" cap at one only: "just 3 songs by Queen" may be a playlist of three.
_ONE_CAP_LEAD = rf"\b(?:{_AT_MOST}|(?P<only>only|just))\s+(?P<n>{_NUM})\s+"
_ONE_CAP_BY = re.compile(rf"{_ONE_CAP_LEAD}(?:(?:songs?|tracks?)\s+)?(?:by|from|of)\s+(?:the\s+)?$")
_ONE_CAP_NAME = re.compile(rf"{_ONE_CAP_LEAD}(?:the\s+)?$")
_ONE_CAP_SONGS = re.compile(r"^(?:'s)?\s+(?:songs?|tracks?)\b")


def said_artist_cap(before: str, after: str) -> tuple[int, int, int] | None:
    """The cap said on the artist named between `before` and `after` (lowercase text): (cap, characters of it
    before the name, characters after), or None."""
    if m := _ONE_CAP_BY.search(before):
        tail = 0
    elif (m := _ONE_CAP_NAME.search(before)) and (songs := _ONE_CAP_SONGS.match(after)):
        tail = songs.end()
    else:
        return None
    n = int(_number(m.group("n")))
    if n < 1 or m.group("only") and n != 1:
        return None
    return n, len(before) - m.start(), tail


# --------------------------------------------------------------------------- popularity, remixes, ordering

_DEEP = re.compile(
    r"\b(?:(?:only|just)\s+)?(?:(?:not|nothing|none|no|nothing that'?s|less|fewer)\s+"
    r"(?:too\s+|very\s+|that\s+|so\s+|overly\s+|super\s+)?"
    r"(?:famous|popular|mainstream|well[- ]known|known|commercial|overplayed|radio)|deep[- ]cuts?|hidden gems?"
    r"|underground|lesser[- ]known|less[- ]known|little[- ]known|obscure|underrated|under the radar|non[- ]?mainstream"
    r"|unknown|b[- ]sides?|rarities|undiscovered|niche|not overplayed"
    # a complaint about the famous ones, or songs the listener knows already
    r"|(?:too|so|way too|a bit too|all too)\s+(?:famous|popular|mainstream|well[- ]known|commercial|overplayed|obvious)"
    r"|(?:i|we)\s+(?:already\s+know\s+(?:all|most|every one)|know\s+(?:all|every one))\s+of\s+(?:these|those|them)"
    r"|(?:i|we)\s+(?:have|'ve|ve)\s+(?:already\s+)?heard\s+(?:all|most|every one)\s+of\s+(?:these|those|them)"
    r"|(?:i|we)(?:\s+haven'?t|(?:'ve|\s+have)?\s+(?:not|never))\s+heard"
    r"(?!\s+(?:of\s+)?(?:any|most|many|half)\s+of)(?:\s+(?:of|before))?"
    r"(?=\s+(?:yet|before|please|pls)\b|\s*[.,!?;]|\s*$)"  # not "I've never heard that one before!": praise
    r"|new to (?:me|us))"
    r"\b(?:\s+only\b)?"
)
_HITS = re.compile(r"\b(?:(?:only |just |nothing but )?(?:greatest |biggest |top |chart |big |smash )?hits|popular"
                   r"|charts?|chart[- ]topp(?:ers|ing)|top 40|mainstream|well[- ]known|famous|bangers|most streamed"
                   r"|radio friendly|(?:in|on|of|from) the top \d{1,3}|top \d{1,3} (?:songs|tracks|singles)"
                   # songs to sing along to are the ones people know
                   r"|sing[- ]?alongs?|sing[- ]?along (?:songs|to|with)|karaoke|every(?:one|body) knows"
                   r"|(?:every(?:one|body)|we|i) can sing (?:along )?(?:to|with)"
                   # a complaint of not knowing them: "I don't know any of these", "never heard of most of them"
                   r"|(?:i|we)\s+(?:don'?t|do not|didn'?t)\s+(?:know|recogni[sz]e)\s+"
                   r"(?:any|most|many|half|a single one)\s+of\s+(?:these|those|them|the songs)"
                   r"|(?:haven'?t|have not|never)\s+heard\s+(?:of\s+)?(?:any|most|many|half)\s+of\s+"
                   r"(?:these|those|them))"
                   r"\b(?:\s+only\b)?")
_NO_REMIX = re.compile(r"\b(?:no|without|not?|skip|exclude|avoid|hate)\s+(?:any\s+|the\s+)?remix(?:es)?\b"
                       r"|\boriginal versions?(?: only)?\b|\bremix(?:es)? (?:not|never)\b")
_REMIX = re.compile(r"\bremix(?:es|ed)?\b(?:\s+(?:are\s+|is\s+)?(?:ok|okay|fine|welcome|allowed|good))?")
_NO_LIVE = re.compile(r"\b(?:no|without|not?|skip|exclude|avoid|hate)\s+(?:any\s+|the\s+)?live\s+"
                      r"(?:versions?|recordings?|tracks?|songs?|performances?|albums?|stuff|ones)\b"
                      r"|\bstudio (?:versions?|recordings?)(?: only)?\b"
                      r"|\bonly studio (?:versions?|recordings?)\b")
# Where the calm and the lively tracks go: "start with something calm", "put the slow ones at the end",
# "end on a high", "slow to fast"
_CALM_WORDS = r"(?:slow|calm|soft|quiet|chill|mellow|gentle|relaxed|relaxing|low[- ]key|chilled)(?:er|est)?"
_LIVELY_WORDS = (r"(?:fast|energetic|upbeat|loud|intense|hype|lively|heavy|hard|high[- ]energy|banger|bangers|"
                 r"faster|fastest|louder|loudest|heavier)")
# Words that open or close the playlist ("start with", "end on"), for orderings here and placed songs in refine
START = r"\b(?:start|begin|open|kick off|lead off)(?:s|ing)?(?: it| things| the (?:playlist|list|mix))?(?: off| out)?"
FINISH = r"\b(?:end|finish|close|wrap up|round off)(?:s|ing)?(?: it| things| the (?:playlist|list|mix))?(?: off| up)?"
_WITH = r"(?: (?:with|on)(?: (?:something|some|the|a|an|more))?)?"
_ONES = r"(?: (?:ones|songs|tracks|stuff|music))?"
_FIRST = r" (?:first|at the (?:start|beginning|top|front))\b"
_LAST = r" (?:last|at the (?:end|bottom|back))\b"


def _placed(first: str, last: str) -> str:
    """An order said by what comes first or last: `first` words at the start, `last` words at the end."""
    put = r"\bput (?:the |all the )?"
    return "|".join((rf"{START}{_WITH} {first}\b", rf"{FINISH}{_WITH} {last}\b", rf"{put}{first}{_ONES}{_FIRST}",
                     rf"{put}{last}{_ONES}{_LAST}", rf"\b{first} to {last}\b"))


_ORDERINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("arc", re.compile(r"\bwarm[- ]?up\b.{0,40}\b(?:peak|cool[- ]?down)\b|\bpeak\b.{0,20}\bcool[- ]?down\b"
                       r"|\b(?:(?:shaped|structured|built|laid out) )?(?:like )?an? dj[- ]?set\b|\bdj[- ]?set\b"
                       r"|\b(?:an? )?energy arc\b|\brise and fall\b")),
    ("rising", re.compile(r"\bbuild(?:s|ing)?[- ]up(?: the (?:energy|intensity|tempo|vibe))?\b"
                          r"|\bbuild(?:s|ing)? (?:the )?energy\b|\b(?:rising|increasing|growing) (?:energy|intensity|tempo)\b"
                          r"|\bramp(?:s|ing)? up\b|\bcrescendo\b|\bprogressively\b"
                          r"|\bget(?:s|ting)? (?:more (?:energetic|intense)|faster|louder|heavier)\b"
                          rf"|{FINISH} on a high\b|" + _placed(_CALM_WORDS, _LIVELY_WORDS))),
    ("falling", re.compile(r"\bwind(?:s|ing)?[- ]down(?: (?:at|towards?|by) the end)?\b|\bcool(?:s|ing)?[- ]?down\b"
                           r"|\bfad(?:e|es|ing) out\b"
                           r"|\b(?:decreasing|falling|descending|dropping) (?:energy|intensity|tempo)\b"
                           r"|\bget(?:s|ting)? (?:calmer|slower|softer|quieter)\b|"
                           + _placed(_LIVELY_WORDS, _CALM_WORDS))),
    ("smooth", re.compile(r"\b(?:with )?smooth(?:ly|er)? transitions?\b|\btransition(?:s)? smoothly\b"
                          r"|\bseamless(?:ly)?\b"
                          r"|\btransitions? (?:(?:are|feel|seem|be|sound) )?(?:(?:a bit |a little |too |so |very )?"
                          r"(?:smoother|better|nicer|less (?:abrupt|jarring)|abrupt|jarring|rough|choppy))\b"
                          r"|\b(?:good |nice |smooth )?flow(?:s)?(?: well| nicely| smoothly)?\b|\bblend(?:s|ed)? "
                          r"(?:well|together)\b")),
)


def find_popularity(low: str) -> list[Finding]:
    """"deep cuts", "not too famous", "hidden gems", "underground" -> deep_cuts; "hits", "popular" -> hits."""
    out = [Finding("popularity", "deep_cuts", m.start(), m.end()) for m in _DEEP.finditer(low)]
    out += [Finding("popularity", "hits", m.start(), m.end()) for m in _HITS.finditer(low)
            if not any(f.start <= m.start() < f.end for f in out)]
    return out


def find_remixes(low: str) -> list[Finding]:
    """"no remixes" -> allow_remixes False; "remixes ok", "remixes of 80s songs" -> True; "no live versions",
    "studio versions only" -> allow_live False."""
    out = [Finding("allow_remixes", False, m.start(), m.end()) for m in _NO_REMIX.finditer(low)]
    out += [Finding("allow_remixes", True, m.start(), m.end()) for m in _REMIX.finditer(low)
            if not any(f.start <= m.start() < f.end for f in out)]
    out += [Finding("allow_live", False, m.start(), m.end()) for m in _NO_LIVE.finditer(low)]
    return out


def find_ordering(low: str) -> list[Finding]:
    """"build up" -> rising, "wind down" -> falling, "warm-up, peak, cool-down"/"DJ set" -> arc, "flow" -> smooth."""
    out: list[Finding] = []
    for name, pattern in _ORDERINGS:
        for m in pattern.finditer(low):
            if not any(f.start < m.end() and m.start() < f.end for f in out):
                out.append(Finding("ordering", name, m.start(), m.end()))
    return out


# --------------------------------------------------------------------------- what the songs are about

# The catalog has no lyrics: a song's subject shows only in its title, so a topic is searched track by track.
_TOPIC_NOUN = (r"(?:(?:song|track) or two|songs?|music|tracks?|tunes|anthems|ballads|jams|bangers|ones|something|"
               r"anything|stuff)")
# Where a topic ends: punctuation, or a word that starts another part of the request.
# "for yourself" and "for the first time" belong to the subject; "for a road trip" starts the occasion.
_FOR_SUBJECT = r"(?!\s+(?:yourself|myself|oneself|someone|somebody|you|me|him|her|them|us|the first time|ever)\b)"
_TOPIC_END = (rf"(?=\s*(?:[,.;:!?()\[\]\"]|\s-\s|$)|\s+(?:for{_FOR_SUBJECT}|from|by|but|that|which|who|like|"
              r"similar|without|under|over|in the \d|or (?:something|anything)|and (?:not|no)|no|not|pls|please|"
              r"instead|to (?:top|round|finish|wrap|end|close)\b)\b|\s+\d)")
_TOPIC_SUBJECT = rf"(?P<topic>[a-z][a-z'&/ -]{{1,60}}?){_TOPIC_END}"
_TOPIC = re.compile(
    rf"\b{_TOPIC_NOUN}\s+(?:(?:that|which)\s+(?:are|is|'re|'s)\s+|(?:that'?s|are|is)\s+|(?:that|which)\s+(?=focus))?"
    rf"(?:(?:all|mostly|lyrically|basically|actually|really|just)\s+)?"
    rf"(?:about|on the (?:theme|topic|subject) of|focus(?:ing|ed|es)? on)"
    rf"\s+{_TOPIC_SUBJECT}"
    rf"|\b{_TOPIC_NOUN}\s+with\s+(?:the\s+words?\s+)?['\"]?(?P<word>[a-z][a-z' ]{{1,30}}?)['\"]?\s+in\s+"
    rf"(?:the|their|its)\s+(?:titles?|names?)\b")
_TOPIC_NEGATED = re.compile(r"\b(?:not|no|nothing|never|none|without|avoid|don'?t|doesn'?t|aren'?t|isn'?t)\s+"
                            r"(?:\w+\s+)?$")
_TOPIC_EMPTY = frozenset("a an the it this that them me you us something anything".split())


def find_topic(low: str) -> list[Finding]:
    """"songs about rain", "music about working hard", "songs focusing on Harry's companions" (no mood for
    studying), "songs with 'love' in the title" -> about (the subject,
    a string). "songs that aren't about love" is not a subject: the listener said what to avoid, and nothing
    can check it. "A Caribbean-themed party" is a style, left to the description."""
    out: list[Finding] = []
    for m in _TOPIC.finditer(low):
        topic = (m.group("topic") or m.group("word")).strip(" -'/&")
        if not topic or topic in _TOPIC_EMPTY or _TOPIC_NEGATED.search(low, 0, m.start()):
            continue  # "no songs about love", "I don't want songs about love"
        out.append(Finding("about", topic, m.start(), m.end()))
    return out


# --------------------------------------------------------------------------- other artists only

# "bands like Pixies", "artists similar to Daft Punk": the listener knows them and asks for others. Not
# "songs like Pixies" nor "songs/artists like": songs may be theirs.
_OTHER_ARTISTS = re.compile(
    r"(?<![/\w])(?P<noun>(?:other\s+|new\s+|more\s+)?(?:artists?|bands?|musicians?|singers?|rappers?|groups?|"
    r"djs?|producers?|acts?)(?:\s*/\s*(?:artists?|bands?|musicians?|singers?|groups?))?)\s+"
    r"(?:(?:that|who|which)\s+(?:are|sound)\s+)?"
    r"(?:similar\s+to|like|in the vein of|along the lines of|comparable to|sounding like)\b")


# "Similar bands to AC/DC", "similar artists as Drake"
_SIMILAR_ARTISTS = re.compile(r"\bsimilar\s+(?P<noun>artists|bands|musicians|singers|rappers|groups|acts)\s+"
                              r"(?:to|as)\b")


def find_others_only(low: str) -> list[Finding]:
    """"bands like Pixies", "other artists similar to Daft Punk", "similar bands to AC/DC" -> others_only. The
    span is the noun alone: "like" and "similar to" are left to mark the names that follow."""
    return [Finding("others_only", True, m.start("noun"), m.end("noun"))
            for pattern in (_OTHER_ARTISTS, _SIMILAR_ARTISTS) for m in pattern.finditer(low)]


# --------------------------------------------------------------------------- explicit features

TEMPO_BOUNDS = (30.0, 250.0)
BPM_TOLERANCE = 6.0
_BPM = r"\s*(?:bpm|beats per minute|beats a minute)\b"
_TEMPO_RANGE = re.compile(rf"(?:\b(?:between|from)\s+)?\b(\d{{2,3}})\s*(?:-|to|and)\s*(\d{{2,3}}){_BPM}")
_TEMPO_MIN = re.compile(rf"\b(?:over|above|more than|at least|faster than|min(?:imum)?|>)\s*(\d{{2,3}}){_BPM}|"
                        rf"\b(\d{{2,3}}){_BPM}\s*(?:\+|or (?:more|faster|above))|\b(\d{{2,3}})\+\s*bpm\b")
_TEMPO_MAX = re.compile(rf"\b(?:under|below|less than|at most|slower than|max(?:imum)?|<)\s*(\d{{2,3}}){_BPM}|"
                        rf"\b(\d{{2,3}}){_BPM}\s*or (?:less|slower|below)")
_TEMPO_AT = re.compile(rf"\b(?:(?:around|about|approx(?:imately)?|roughly|~|at)\s*)?(\d{{2,3}}){_BPM}")

# "high energy", "very low valence": what a level means for each feature, on its own scale.
_LEVELS: dict[str, dict[str, tuple[float | None, float | None]]] = {
    "energy": {"very high": (0.85, None), "high": (0.7, None), "medium": (0.4, 0.75), "low": (None, 0.45),
               "very low": (None, 0.3)},
    "valence": {"very high": (0.8, None), "high": (0.6, None), "medium": (0.3, 0.7), "low": (None, 0.35),
                "very low": (None, 0.2)},
    "danceability": {"very high": (0.8, None), "high": (0.7, None), "medium": (0.45, 0.75), "low": (None, 0.5),
                     "very low": (None, 0.4)},
    "acousticness": {"very high": (0.7, None), "high": (0.5, None), "medium": (0.1, 0.6), "low": (None, 0.1),
                     "very low": (None, 0.02)},
    "instrumentalness": {"very high": (0.8, None), "high": (0.5, None), "medium": (0.1, 0.6), "low": (None, 0.05),
                         "very low": (None, 0.01)},
    "speechiness": {"very high": (0.33, None), "high": (0.2, None), "medium": (0.06, 0.25), "low": (None, 0.07),
                    "very low": (None, 0.045)},
    "tempo": {"very high": (150.0, None), "high": (130.0, None), "medium": (100.0, 130.0), "low": (None, 100.0),
              "very low": (None, 85.0)},
}
_FEATURE_WORDS = {"energy": "energy", "intensity": "energy", "valence": "valence", "positivity": "valence",
                  "happiness": "valence", "danceability": "danceability", "acousticness": "acousticness",
                  "instrumentalness": "instrumentalness", "speechiness": "speechiness", "tempo": "tempo",
                  "bpm": "tempo"}
_LEVEL = re.compile(
    r"\b(?:(very|super|really|extremely)\s+)?(high|higher|low|lower|medium|moderate|mid)[\s-]+("
    + "|".join(_FEATURE_WORDS) + r")\b"
)
_LEVEL_WORDS = {"higher": "high", "up": "high", "lower": "low", "moderate": "medium", "mid": "medium"}
# The level after its feature: "keep the energy high", "tempo should be low", "energy up throughout"; not "the
# tempo is up to you", and not the comparatives ("energy higher"), which move from where the playlist is
_LEVEL_AFTER = re.compile(
    r"\b(" + "|".join(_FEATURE_WORDS) + r")(?:\s+levels?)?\s+(?:(?:is|are|stays?|staying|should be|must be|kept|"
    r"nice and|at|on the)\s+)?(?:(very|super|really|extremely)\s+)?(high|low|medium|up)\b(?!\s+to\b)"
)


# "energy above 0.9", "valence below 30%", "tempo over 120", "danceability between 0.6 and 0.8", "at least 70%
# danceability", "energy around 0.5": a feature word, a comparison and a number on the feature's own scale
# (0..1, or a percentage; BPM for tempo).
_FEATURE_NAME = (r"(energy|intensity|valence|positivity|happiness|danceability|acousticness|instrumentalness"
                 r"|speechiness|tempo)")
_VALUE = r"(\d{1,3}(?:\.\d+)?|\.\d+)\s*(%|percent|bpm)?"
_MORE = (r"(?:above|over|more than|greater than|higher than|faster than|at least|no less than|min(?:imum)?(?: of)?"
         r"|>=?|≥)")
_LESS = (r"(?:below|under|less than|lower than|slower than|at most|no more than|max(?:imum)?(?: of)?|<=?|≤)")
_ABOUT = r"(?:around|about|approximately|roughly|near|close to|~|=|:|of|at)"
_LINK = r"(?:\s+(?:of|is|level|score|value|should be|must be|that'?s|thats))?\s*"
# (kind, whether the number comes before the feature word, pattern)
_FEATURE_COMPARISONS: tuple[tuple[str, bool, re.Pattern[str]], ...] = (
    ("between", False,
     re.compile(rf"\b{_FEATURE_NAME}{_LINK}(?:between|from)\s*{_VALUE}\s*(?:and|to|-)\s*{_VALUE}(?![\w.])")),
    ("min", False, re.compile(rf"\b{_FEATURE_NAME}{_LINK}{_MORE}\s*{_VALUE}(?![\w.])")),
    ("max", False, re.compile(rf"\b{_FEATURE_NAME}{_LINK}{_LESS}\s*{_VALUE}(?![\w.])")),
    ("min", True, re.compile(rf"(?<![\w.]){_MORE}\s*{_VALUE}\s+(?:of\s+)?{_FEATURE_NAME}\b")),
    ("max", True, re.compile(rf"(?<![\w.]){_LESS}\s*{_VALUE}\s+(?:of\s+)?{_FEATURE_NAME}\b")),
    ("about", False, re.compile(rf"\b{_FEATURE_NAME}\s*{_ABOUT}\s*{_VALUE}(?![\w.])")),
)
UNIT_TOLERANCE = 0.1  # "energy around 0.5" -> 0.4..0.6


def _scaled(feature: str, value: str, unit: str | None) -> float | None:
    """A number said for a feature on that feature's scale, or None when it cannot be one."""
    v = float(value)
    if feature == "tempo":
        return _tempo(value) if unit in (None, "bpm") else None
    if unit == "bpm":
        return None
    if unit:
        v = v / 100
    elif v > 1:  # "energy above 70" is a percentage; "above 2.5" or "above 7" (out of 10?) says nothing sure
        v = v / 100 if 10 <= v <= 100 else -1.0
    return v if 0 <= v <= 1 else None


def _comparisons(low: str) -> list[tuple[str, Range, re.Match[str]]]:
    out = []
    for kind, number_first, pattern in _FEATURE_COMPARISONS:
        for m in pattern.finditer(low):
            groups = m.groups()
            value, unit, word = groups if number_first else (groups[1], groups[2], groups[0])
            feature = _FEATURE_WORDS[word]
            v = _scaled(feature, value, unit)
            if v is None:
                continue
            if kind == "between":
                w = _scaled(feature, groups[3], groups[4] or unit)
                if w is None:
                    continue
                r = Range(min=min(v, w), max=max(v, w))
            elif kind == "min":
                r = Range(min=v)
            elif kind == "max":
                r = Range(max=v)
            else:
                tolerance = BPM_TOLERANCE if feature == "tempo" else UNIT_TOLERANCE
                high = v + tolerance if feature == "tempo" else min(v + tolerance, 1.0)
                r = Range(min=max(v - tolerance, 0.0), max=high)
            out.append((feature, r, m))
    return out


def _tempo(value: str) -> float | None:
    v = float(value)
    return v if TEMPO_BOUNDS[0] <= v <= TEMPO_BOUNDS[1] else None


# Songs with a voice turned away: "remove all the songs with vocals", "fewer songs with lyrics", "no singing" (Spotify
# counts a track above 0.5 as instrumental). Not "vocals" asked for: it is said as often of what to avoid ("those
# still have a lot of lyrics")
_NO_VOICE = re.compile(r"\b(?:no|without|remove|drop|cut|skip|fewer|less|get rid of|take out|(?:don'?t|do not) "
                       r"(?:want|need|like))\s+(?:(?:any|all|the|of the|more|of)\s+)*(?:(?:songs|tracks|ones|music|"
                       r"stuff)\s+)?(?:with\s+(?:any\s+)?)?(?:vocals|lyrics|singing|words|voices?)\b")


def find_features(low: str) -> list[Finding]:
    """Explicit feature constraints: "energy above 0.9", "valence below 30%", "tempo over 120", "120 bpm" (±6),
    "between 90 and 110 bpm", "over 140 bpm", "high energy", "very low valence", "medium tempo", "keep the energy
    high", "no songs with vocals". Each value is (feature name, Range)."""
    out: list[Finding] = []

    def add(feature: str, r: Range, m: re.Match[str]) -> None:
        start = m.start()
        if (r.min is None) != (r.max is None) and (down := _TURNED_DOWN.search(low, 0, start)):
            r, start = (Range(max=r.min) if r.max is None else Range(min=r.max)), down.start()
        if not any(f.start < m.end() and start < f.end for f in out):
            out.append(Finding("features", (feature, r), start, m.end()))

    for feature, r, m in _comparisons(low):
        add(feature, r, m)
    for m in _NO_VOICE.finditer(low):
        add("instrumentalness", Range(min=0.5), m)
    for m in _TEMPO_RANGE.finditer(low):
        a, b = _tempo(m.group(1)), _tempo(m.group(2))
        if a is not None and b is not None:
            add("tempo", Range(min=min(a, b), max=max(a, b)), m)
    for m in _TEMPO_MIN.finditer(low):
        if (v := _tempo(m.group(1) or m.group(2) or m.group(3))) is not None:
            add("tempo", Range(min=v), m)
    for m in _TEMPO_MAX.finditer(low):
        if (v := _tempo(m.group(1) or m.group(2))) is not None:
            add("tempo", Range(max=v), m)
    for m in _TEMPO_AT.finditer(low):
        if (v := _tempo(m.group(1))) is not None:
            add("tempo", Range(min=max(v - BPM_TOLERANCE, TEMPO_BOUNDS[0]), max=v + BPM_TOLERANCE), m)
    levels = [(m, m.groups()) for m in _LEVEL.finditer(low)]
    levels += [(m, (very, level, word)) for m in _LEVEL_AFTER.finditer(low) for word, very, level in [m.groups()]]
    for m, (very, level, word) in levels:
        level = _LEVEL_WORDS.get(level, level)
        if very and level != "medium":
            level = f"very {level}"
        feature = _FEATURE_WORDS[word]
        lo, hi = _LEVELS[feature][level]
        add(feature, Range(min=lo, max=hi), m)
    return out


# --------------------------------------------------------------------------- moods and activities

_B = tuple[float | None, float | None]
# Phrase -> feature bounds. Tempo in BPM, the rest on Spotify's 0..1 scales. Catalog quantiles (p10/p50/p90):
# energy .44/.72/.92, valence .19/.51/.83, danceability .45/.67/.83, acousticness .002/.08/.52,
# instrumentalness 0/0/.42, speechiness .033/.063/.27, tempo 88/122/160.
MOODS: dict[str, dict[str, _B]] = {
    # calm end
    "calm": {"energy": (None, 0.5)},
    "calming": {"energy": (None, 0.5)},
    "tranquil": {"energy": (None, 0.45)},
    "serene": {"energy": (None, 0.45)},
    "unwind": {"energy": (None, 0.55)},
    "relaxation": {"energy": (None, 0.55)},
    "dreamy": {"energy": (None, 0.6)},
    "ethereal": {"energy": (None, 0.55)},
    "atmospheric": {"energy": (None, 0.6)},
    "chill": {"energy": (None, 0.65)},
    "chilled": {"energy": (None, 0.65)},
    "chillout": {"energy": (None, 0.65)},
    "chill out": {"energy": (None, 0.65)},
    "laid back": {"energy": (None, 0.65)},
    "lo fi": {"energy": (None, 0.65)},
    "lofi": {"energy": (None, 0.65)},
    "relaxing": {"energy": (None, 0.55)},
    "relaxed": {"energy": (None, 0.55)},
    "relax": {"energy": (None, 0.55)},
    "mellow": {"energy": (None, 0.55)},
    "peaceful": {"energy": (None, 0.45)},
    "soothing": {"energy": (None, 0.45)},
    "gentle": {"energy": (None, 0.45)},
    "soft": {"energy": (None, 0.5)},
    "quiet": {"energy": (None, 0.45)},
    "sleep": {"energy": (None, 0.4)},
    "sleeping": {"energy": (None, 0.4)},
    "fall asleep": {"energy": (None, 0.4)},
    "falling asleep": {"energy": (None, 0.4)},
    "bedtime": {"energy": (None, 0.4)},
    "lullaby": {"energy": (None, 0.4)},
    "meditation": {"energy": (None, 0.45)},
    "meditating": {"energy": (None, 0.45)},
    "meditate": {"energy": (None, 0.45)},
    "yoga": {"energy": (None, 0.5)},
    "spa": {"energy": (None, 0.45)},
    "massage": {"energy": (None, 0.45)},
    "cozy": {"energy": (None, 0.6)},
    "warm up": {"energy": (0.45, 0.8)},
    "warmup": {"energy": (0.45, 0.8)},
    "rainy day": {"energy": (None, 0.6)},
    "rainy days": {"energy": (None, 0.6)},
    "rainy": {"energy": (None, 0.6)},
    "sunday morning": {"energy": (None, 0.6)},
    "lazy sunday": {"energy": (None, 0.6)},
    "coffee shop": {"energy": (None, 0.6)},
    "morning coffee": {"energy": (None, 0.6)},
    "cafe": {"energy": (None, 0.6)},
    "ambient": {"energy": (None, 0.5)},
    "background": {"energy": (None, 0.65), "speechiness": (None, 0.15)},
    "dinner": {"energy": (None, 0.65), "speechiness": (None, 0.15)},
    # a party around a table, not a dance floor (dinner's calm and party's energy cancelled each other out)
    "dinner party": {"energy": (None, 0.7), "speechiness": (None, 0.15)},
    # a couple's dance at a wedding is slow, not dance music
    "first dance": {"energy": (None, 0.6)},
    "slow dance": {"energy": (None, 0.6)},
    "slow": {"tempo": (None, 100.0)},
    "slow jams": {"tempo": (None, 100.0), "energy": (None, 0.6)},  # ballads: a slow tempo alone let in "Closer"
    "slow jam": {"tempo": (None, 100.0), "energy": (None, 0.6)},
    "slower": {"tempo": (None, 105.0)},
    # focus
    "focus": {"speechiness": (None, 0.08), "energy": (None, 0.75)},
    "focusing": {"speechiness": (None, 0.08), "energy": (None, 0.75)},
    "concentrate": {"speechiness": (None, 0.08), "energy": (None, 0.75)},
    "concentration": {"speechiness": (None, 0.08), "energy": (None, 0.75)},
    "study": {"speechiness": (None, 0.08), "energy": (None, 0.75)},
    "studying": {"speechiness": (None, 0.08), "energy": (None, 0.75)},
    "reading": {"speechiness": (None, 0.08), "energy": (None, 0.65)},
    "coding": {"speechiness": (None, 0.08), "energy": (None, 0.8)},
    "instrumental": {"instrumentalness": (0.5, None)},
    "instrumentals": {"instrumentalness": (0.5, None)},
    "no vocals": {"instrumentalness": (0.5, None)},
    "no lyrics": {"instrumentalness": (0.5, None)},
    "without lyrics": {"instrumentalness": (0.5, None)},
    "without vocals": {"instrumentalness": (0.5, None)},
    "not have any lyrics": {"instrumentalness": (0.5, None)},
    "not have lyrics": {"instrumentalness": (0.5, None)},
    "no words": {"instrumentalness": (0.5, None)},
    "lyricless": {"instrumentalness": (0.5, None)},
    "acoustic": {"acousticness": (0.5, None)},
    "unplugged": {"acousticness": (0.5, None)},
    # energetic end
    "upbeat": {"energy": (0.6, None), "valence": (0.45, None)},
    "up beat": {"energy": (0.6, None), "valence": (0.45, None)},
    "energetic": {"energy": (0.75, None)},
    "energizing": {"energy": (0.75, None)},
    "high energy": {"energy": (0.75, None)},
    "intense": {"energy": (0.8, None)},
    "hype": {"energy": (0.75, None)},
    "pump up": {"energy": (0.75, None)},
    "pump me up": {"energy": (0.75, None)},
    "pumped": {"energy": (0.75, None)},
    "motivation": {"energy": (0.7, None)},
    "motivational": {"energy": (0.7, None)},
    "motivating": {"energy": (0.7, None)},
    "aggressive": {"energy": (0.8, None)},
    "angry": {"energy": (0.8, None)},
    "loud": {"energy": (0.8, None)},
    "heavy": {"energy": (0.8, None)},
    "explosive": {"energy": (0.8, None)},
    "epic": {"energy": (0.7, None)},
    "workout": {"energy": (0.7, None), "tempo": (110.0, 180.0)},
    "work out": {"energy": (0.7, None), "tempo": (110.0, 180.0)},
    "working out": {"energy": (0.7, None), "tempo": (110.0, 180.0)},
    "gym": {"energy": (0.7, None), "tempo": (110.0, 180.0)},
    "exercise": {"energy": (0.7, None), "tempo": (110.0, 180.0)},
    "training": {"energy": (0.7, None), "tempo": (110.0, 180.0)},
    "cardio": {"energy": (0.7, None), "tempo": (115.0, 185.0)},
    "hiit": {"energy": (0.75, None), "tempo": (115.0, 185.0)},
    "crossfit": {"energy": (0.75, None), "tempo": (115.0, 185.0)},
    "lifting": {"energy": (0.75, None)},
    "running": {"energy": (0.7, None), "tempo": (120.0, 185.0)},
    "run": {"energy": (0.7, None), "tempo": (120.0, 185.0)},
    "jogging": {"energy": (0.65, None), "tempo": (115.0, 180.0)},
    "fast": {"tempo": (130.0, None)},
    # "up-tempo R&B": livelier than the genre's usual pace, not a fast tempo outright
    "uptempo": {"tempo": (110.0, None), "energy": (0.6, None)},
    "up tempo": {"tempo": (110.0, None), "energy": (0.6, None)},
    "downtempo": {"tempo": (None, 105.0), "energy": (None, 0.6)},
    "down tempo": {"tempo": (None, 105.0), "energy": (None, 0.6)},
    "faster": {"tempo": (125.0, None)},
    "driving": {"energy": (0.6, None)},
    "road trip": {"energy": (0.6, None)},
    "hiking": {"energy": (0.55, None)},
    # chores go quicker with cheerful, lively songs
    "cleaning": {"energy": (0.6, None), "valence": (0.5, None)},
    "chores": {"energy": (0.6, None), "valence": (0.5, None)},
    "housework": {"energy": (0.6, None), "valence": (0.5, None)},
    "cooking": {"valence": (0.5, None)},
    # dance
    "party": {"danceability": (0.65, None), "energy": (0.65, None)},
    "house party": {"danceability": (0.65, None), "energy": (0.65, None)},
    "partying": {"danceability": (0.65, None), "energy": (0.65, None)},
    "club": {"danceability": (0.65, None), "energy": (0.7, None)},
    "clubbing": {"danceability": (0.65, None), "energy": (0.7, None)},
    "dance": {"danceability": (0.7, None)},
    "dancing": {"danceability": (0.7, None)},
    "danceable": {"danceability": (0.7, None)},
    "groovy": {"danceability": (0.7, None)},
    "funky": {"danceability": (0.7, None)},
    "bouncy": {"danceability": (0.7, None)},
    # valence
    "happy": {"valence": (0.6, None)},
    "cheerful": {"valence": (0.6, None)},
    "joyful": {"valence": (0.6, None)},
    "feel good": {"valence": (0.6, None)},
    "feelgood": {"valence": (0.6, None)},
    "positive": {"valence": (0.6, None)},
    "uplifting": {"valence": (0.55, None), "energy": (0.55, None)},
    "mood booster": {"valence": (0.55, None), "energy": (0.55, None)},
    "mood boost": {"valence": (0.55, None), "energy": (0.55, None)},
    "boost my mood": {"valence": (0.55, None), "energy": (0.55, None)},
    "pick me up": {"valence": (0.55, None), "energy": (0.55, None)},
    "cheer me up": {"valence": (0.55, None), "energy": (0.55, None)},
    "cheer up": {"valence": (0.55, None), "energy": (0.55, None)},
    "hopeful": {"valence": (0.5, None)},
    "sleepover": {"valence": (0.5, None), "danceability": (0.6, None)},  # a party, not sleep
    "sleep over": {"valence": (0.5, None), "danceability": (0.6, None)},
    "euphoric": {"valence": (0.5, None), "energy": (0.65, None)},
    "sunny": {"valence": (0.55, None)},
    "summer": {"valence": (0.5, None), "danceability": (0.6, None)},
    "summery": {"valence": (0.5, None), "danceability": (0.6, None)},
    "beach": {"valence": (0.5, None), "danceability": (0.6, None)},
    "fun": {"valence": (0.55, None)},
    "sad": {"valence": (None, 0.35)},
    "sadness": {"valence": (None, 0.35)},
    "melancholic": {"valence": (None, 0.35)},
    "melancholy": {"valence": (None, 0.35)},
    "depressing": {"valence": (None, 0.3)},
    "depressed": {"valence": (None, 0.3)},
    "depression": {"valence": (None, 0.3)},
    "gloomy": {"valence": (None, 0.35)},
    "somber": {"valence": (None, 0.35)},
    "sombre": {"valence": (None, 0.35)},
    "lonely": {"valence": (None, 0.4)},
    "feeling down": {"valence": (None, 0.4)},
    "feel down": {"valence": (None, 0.4)},
    "feeling blue": {"valence": (None, 0.4)},
    "heartbreak": {"valence": (None, 0.4)},
    "heartbroken": {"valence": (None, 0.4)},
    "breakup": {"valence": (None, 0.4)},
    "break up": {"valence": (None, 0.4)},
    "crying": {"valence": (None, 0.35)},
    "dark": {"valence": (None, 0.35)},
    "moody": {"valence": (None, 0.4)},
    "spooky": {"valence": (None, 0.35)},
    "creepy": {"valence": (None, 0.35)},
    "eerie": {"valence": (None, 0.35)},
    "sinister": {"valence": (None, 0.35)},
    "ominous": {"valence": (None, 0.35)},
    "haunting": {"valence": (None, 0.35)},
    "evil": {"valence": (None, 0.35)},
    "warm": {"valence": (0.4, None), "energy": (None, 0.75)},
    "romantic": {"energy": (None, 0.7)},
    "love songs": {"energy": (None, 0.7)},
    "date night": {"energy": (None, 0.7)},
    "sensual": {"energy": (None, 0.7)},
    "sexy": {"energy": (None, 0.7)},
}
# A comparative in a first request ("like Daft Punk but mellower") reads as the plain mood; in a conversation the
# follow-up rules (assistant.refine) read it relative to the current playlist instead.
COMPARATIVES = {"mellower": "mellow", "calmer": "calm", "gentler": "gentle", "softer": "soft", "quieter": "quiet",
                "happier": "happy", "sadder": "sad", "darker": "dark", "moodier": "moody", "heavier": "heavy",
                "louder": "loud", "groovier": "groovy", "funkier": "funky", "angrier": "angry"}
MOODS.update({comparative: MOODS[plain] for comparative, plain in COMPARATIVES.items()})
# Words that make a mood word not apply: "not sad", "nothing too slow", "less aggressive".
NEGATORS = frozenset("not no nothing without never less fewer isnt dont doesnt arent wont non nor except".split())
_INTENSIFIERS = frozenset("too very so that overly super really the any much as more".split())  # "no more rap"
# Verbs between a negator and what it turns away from: "don't like rock", "not into jazz", "don't play any rap"
_NEGATED_VERBS = frozenset("like want need love enjoy into fancy dig care play add include put give".split())


def mood_ranges(word: str) -> dict[str, Range] | None:
    """The feature ranges a mood or activity word stands for ("chill" -> energy <= 0.65), or None."""
    bounds = MOODS.get(" ".join(normalize(word).replace("-", " ").split()))
    if bounds is None:
        return None
    return {name: Range(min=lo, max=hi) for name, (lo, hi) in bounds.items()}


# Two words that turn away from what follows: "move away from the rock genre", "other than rap", "anything but rock"
_NEGATING_PAIRS = frozenset({("away", "from"), ("other", "than"), ("rather", "than"), ("instead", "of"),
                             ("anything", "but"), ("everything", "but")})


def negation_start(words: list[str], index: int) -> int | None:
    """Where the words negating words[index] begin ("not too sad", "away from rock", "too much rap"), or None."""
    for k in range(max(index - 4, 0), index - 1):  # "too much rap", "way too many of the rap songs"
        if words[k] == "too" and words[k + 1] in ("much", "many") and all(
                w in ("of", "the", "this", "that", "these") for w in words[k + 2:index]):
            return k
    j, verb = index - 1, False
    while j >= 0 and index - j <= 3 and (words[j] in _INTENSIFIERS or words[j] in _NEGATED_VERBS):
        verb |= words[j] in _NEGATED_VERBS
        j -= 1
    if j >= 1 and index - j <= 3 and (words[j - 1], words[j]) in _NEGATING_PAIRS:
        return j - 1
    if j < 0 or index - j > 3 or verb and words[j] == "nothing":  # "Nothing like classic rock!" praises it
        return None
    return j if words[j].replace("'", "") in NEGATORS else None


def is_negated(words: list[str], index: int) -> bool:
    """Whether words[index] is negated by the two or three words before it."""
    return negation_start(words, index) is not None


def intersect(a: Range, b: Range) -> Range:
    lo = b.min if a.min is None else a.min if b.min is None else max(a.min, b.min)
    hi = b.max if a.max is None else a.max if b.max is None else min(a.max, b.max)
    return Range(min=lo, max=hi)


def combine_features(explicit: list[dict[str, Range]], moods: list[dict[str, Range]]) -> dict[str, Range]:
    """One range per feature: mood ranges intersected, except that moods which contradict each other on a
    feature ("depressed but need happy tunes") leave it unconstrained; explicit ranges ("120 bpm", "high
    energy") then win over the moods."""
    out: dict[str, Range] = {}
    contradicted: set[str] = set()
    for group in moods:
        for name, r in group.items():
            merged = intersect(out[name], r) if name in out else r
            if merged.is_empty() or merged.min == merged.max:  # "dinner party": at most 0.65 and at least 0.65
                contradicted.add(name)
            else:
                out[name] = merged
    for name in contradicted:
        out.pop(name, None)
    for group in explicit:
        for name, r in group.items():
            merged = intersect(out[name], r) if name in out else r
            out[name] = r if merged.is_empty() else merged
    return out


# --------------------------------------------------------------------------- genres

# Genres listeners name that a catalog may file nothing under (the default one has six genres): when the
# catalog has no such label, the listener is told, rather than handed the nearest words as if they matched.
KNOWN_GENRES = ("jazz", "classical", "country", "blues", "folk", "reggae", "k-pop", "kpop", "j-pop", "jpop",
                "opera", "gospel", "bluegrass", "ska", "funk", "disco", "grime", "shoegaze", "lo-fi", "lofi",
                "ambient", "drum and bass", "dnb", "bossa nova", "afrobeats", "dancehall", "trip hop", "trip-hop",
                "metalcore", "deathcore", "black metal", "death metal", "visual kei", "celtic", "flamenco",
                "swing", "big band", "soundtrack", "musical theatre", "showtunes", "polka", "zydeco", "afrobeat",
                "afro-beat", "afro beats", "afropop", "amapiano", "highlife", "soca", "calypso")
_KNOWN_GENRE = re.compile(r"\b(?:" + "|".join(re.escape(g) for g in sorted(KNOWN_GENRES, key=len, reverse=True))
                          + r")\b")


# "songs like this", "this song": a reference to something the listener hears or sees and Segue cannot (most real
# requests were posted beside a link)
_POINTS_AT = re.compile(r"\b(?:(?:like|similar to|similar|resembles?|as|of)\s+(?:this|these)(?!\s+(?:kind|type|sort)\b)"
                        r"|this (?:song|one|track|artist|band|album|genre|style|sound|tune|piece)"
                        r"|(?:this|these) (?:kinds?|types?|sorts?) of (?:songs?|music|tracks?|stuff)(?=\W*$)"
                        r"|(?:what|which) (?:\w+ ){0,3}is this)\b")


def points_at_unseen(low: str) -> str | None:
    """The words by which a request points at something it does not name ("like this", "this song"), or None."""
    m = _POINTS_AT.search(low)
    return m.group(0) if m else None


def without_pointers(text: str) -> str:
    """`text` without the words that point at something unseen: "these kinds of songs" would bring "These Days"."""
    spans = [m.span() for m in _POINTS_AT.finditer(normalize(text))]
    for a, b in reversed(spans):
        text = text[:a] + " " + text[b:]
    return " ".join(text.split())


# Words by which a request asks rather than describes: they name no sound, yet "Help me find similar songs" would
# match the song "Help" and lift its artist's hits, "some stuff like FlyLo" bring "Break Stuff", "detective type
# music" gugudan's "Not That Type".
REQUEST_FILLER = frozenset(
    "help find finding looking look suggestions suggestion suggest recommendations recommendation recommend any "
    "anything something someone stuff things thing need want similar similiar more other others please pls request "
    "desperate desperately trying type types kind kinds sort".split())
_WORD = re.compile(r"[\w'’]+")


def without_filler(text: str) -> str:
    """`text` without the words that only ask (`REQUEST_FILLER`); what is left describes the music."""
    return " ".join(w for w in _WORD.findall(text) if w.lower() not in REQUEST_FILLER)


POSSESSIVES = frozenset("my your his her our their".split())
# Genre words that are also everyday nouns, and the words before them that make them the noun
_EVERYDAY_GENRES = {"house": POSSESSIVES | {"the", "a", "this", "that", "cleaning", "clean", "around", "at"},
                    "soul": POSSESSIVES,
                    "country": POSSESSIVES | {"the", "this", "that", "whole", "across", "around"},
                    # "Rock album book club": a club that reads, not one that dances
                    "club": frozenset({"book", "golf", "chess", "reading", "glee", "breakfast", "tennis", "football",
                                       "soccer", "supper", "comedy", "fan", "country", "youth", "sports"}),
                    # "great road trip soundtrack tunes": music for the trip, no film's
                    "soundtrack": POSSESSIVES | {"trip", "workout", "gym", "party", "summer", "drive", "run", "study",
                                                 "life", "wedding", "dinner"}}
# Nouns for music: after a name they mark it as one ("Metallica songs"), after a genre word the genre ("the country
# songs")
MUSIC_NOUN_WORDS = frozenset("songs song music tracks albums album stuff type vibes vibe".split())
_GENRE_NOUNS = MUSIC_NOUN_WORDS | {"playlist", "hits"}


def everyday_noun(words: list[str], index: int, genre: str) -> bool:
    """Whether the genre word at words[index] is the everyday noun: "across the country", "cleaning the house",
    but not "the country songs"."""
    before = _EVERYDAY_GENRES.get(genre, ())
    if index == 0 or words[index - 1] not in before:
        return False
    return index + 1 >= len(words) or words[index + 1] not in _GENRE_NOUNS


def genres_named(low: str) -> list[str]:
    """The well-known genre names a request says and does not negate ("jazz", "k-pop"), in order; not one that
    is the everyday noun ("across the country")."""
    words = low.split()
    bare = [w.strip(".,;:!?()\"'") for w in words]
    out: list[str] = []
    for m in _KNOWN_GENRE.finditer(low):
        index = len(low[:m.start()].split())
        if index < len(words) and not is_negated(words, index) and not everyday_noun(bare, index, m.group(0)):
            out.append(m.group(0))
    return list(dict.fromkeys(out))


# Request phrase -> catalog labels, in order of preference: the first label the catalog has is used.
# Only phrases whose meaning is clear; "indie", "classic" or "urban" alone are left to semantic search.
GENRE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "hip hop": ("rap", "hip hop"), "hiphop": ("rap", "hip hop"), "rap music": ("rap",), "rapping": ("rap",),
    "rappers": ("rap",), "rapper": ("rap",), "gangsta rap": ("gangster rap",), "southern rap": ("southern hip hop",),
    "dirty south": ("southern hip hop",), "trap music": ("trap",),
    "r and b": ("r&b",), "rnb": ("r&b",), "r n b": ("r&b",), "rhythm and blues": ("r&b",),
    "soul": ("neo soul", "r&b"), "neosoul": ("neo soul",), "swingbeat": ("new jack swing",),
    "electronic": ("edm",), "electronica": ("edm",), "dance music": ("edm",), "dance tracks": ("edm",),
    "dance songs": ("edm",), "edm": ("edm",), "house": ("edm",), "house music": ("edm",), "deep house": ("edm",),
    "tropical house": ("edm",), "techno": ("edm",), "trance": ("edm",), "dubstep": ("edm",), "electro": ("electro house",),
    "drum and bass": ("edm",), "dnb": ("edm",), "rave": ("edm",),
    "latino": ("latin",), "spanish": ("latin",), "reggaeton": ("reggaeton",), "reggaetón": ("reggaeton",),
    "salsa": ("tropical",), "bachata": ("tropical",), "cumbia": ("tropical",), "merengue": ("tropical",),
    "rock and roll": ("rock",), "rock n roll": ("rock",), "rocknroll": ("rock",), "metal": ("hard rock",),
    "heavy metal": ("hard rock",), "punk": ("rock",), "pop punk": ("rock",), "punk rock": ("rock",),
    "grunge": ("rock",), "emo": ("rock",),
    "alternative": ("permanent wave", "rock"), "alt rock": ("permanent wave", "rock"),
    "alternative rock": ("permanent wave", "rock"), "indie rock": ("permanent wave", "rock"),
    "new wave": ("permanent wave",), "britpop": ("permanent wave",), "post punk": ("permanent wave",),
    "indie pop": ("indie poptimism",), "synthpop": ("electropop",), "synth pop": ("electropop",),
    "teen pop": ("post-teen pop",), "pop music": ("pop",),
}
# Genre words the default catalog has no label for; they still count as ordinary words (not artist names).
OTHER_GENRE_WORDS = frozenset(
    "jazz blues country folk classical opera gospel reggae ska funk disco ambient indie metal punk emo grunge "
    "synthwave vaporwave chillwave shoegaze orchestral soundtrack score kpop jpop bluegrass swing bossa nova "
    "flamenco afrobeat afrobeats dancehall drill grime hardcore screamo prog progressive psychedelic acapella "
    "choir piano guitar violin cello beats instrumental rap music".split()
)

# Names artists go by that no rule derives from the catalog's spelling: nickname -> the catalog's name. An entry
# counts only when the catalog holds that artist.
NICKNAMES: dict[str, str] = {
    "tupac": "2Pac", "tupac shakur": "2Pac", "makaveli": "2Pac", "biggie": "The Notorious B.I.G.",
    "biggie smalls": "The Notorious B.I.G.", "notorious big": "The Notorious B.I.G.", "puff daddy": "Diddy",
    "p diddy": "Diddy", "puffy": "Diddy", "jlo": "Jennifer Lopez", "j lo": "Jennifer Lopez", "weezy": "Lil Wayne",
    "slim shady": "Eminem", "marshall mathers": "Eminem", "snoop doggy dogg": "Snoop Dogg", "nin": "Nine Inch Nails",
    "flylo": "Flying Lotus", "led zep": "Led Zeppelin", "the stones": "The Rolling Stones",
    "the chili peppers": "Red Hot Chili Peppers", "chili peppers": "Red Hot Chili Peppers", "queen bey": "Beyoncé",
    "joji miller": "Joji", "hova": "JAY-Z", "mgk": "Machine Gun Kelly",
}
