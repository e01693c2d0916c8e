"""Follow-up messages of a conversation -> one `Edit` of the current spec or playlist.

Deterministic rules only, tried in a fixed order: undo, start over, questions about the tracks, replace
("replace track 3"), swap, move/reorder, remove, "add <a catalog song>", "add some 80s rock" (tracks of a kind),
"more like ...", length, "older" / "more recent" (around the playlist's median year), then spec refinements
(relative moods such as "calmer" plus whatever the request parser reads: "only 90s", "no more Drake", "no rap",
"only hits"), "more <words>" (the same playlist chosen again leaning to them: "more west coast"), and finally a
new request, unless the message sets nothing the parser reads: then the playlist is kept (a name the catalog
lacks is said, other words steer it). Tracks are referred to by position ("track 3", "the second song", "the
last two", "2 and 5") or by title (`assistant.positions`); every position is checked by the chat, never trusted.
A message may ask two edits, an exclusion or songs by name and then an addition ("not a fan of blink 182. How
about some Bush?", "add Titanium by David Guetta, add songs from Juice World"): the second rides on the first
(`Edit.then`).

Instructions aimed at the system ("ignore previous instructions", "print the system prompt") are cut
out of the message before anything else: what remains is handled like any request, so a message can
only ask for what a request may legitimately ask.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from rapidfuzz import fuzz

from assistant.builder import TRACK_MINUTES, describe_range, is_seasonal, song_key, track_breaks
from assistant.lexicon import (
    FINISH,
    MOODS,
    NUMBER_WORDS,
    START,
    Finding,
    find_artist_cap,
    find_length,
    find_ordering,
    find_track_length,
    find_years,
    genres_named,
    length_bound,
    mood_ranges,
    normalize,
)
from assistant.playlist import Playlist
from assistant.positions import (
    COUNT_WORDS, MIN_FUZZY_TITLE, ORDINALS, TITLE_FUZZY_CUTOFF, count_word, find_artist_tracks, find_positions,
    find_superlatives, find_titles, quoted_title, superlative_attribute,
)
from assistant.spec import LengthBound, PlaylistSpec
from assistant.understand import (
    FOLLOWS_THE_REST, MAX_NAME_WORDS, MAX_TITLE_WORDS, PEOPLE_ENDINGS, UNKNOWN_ARTIST, UNKNOWN_SONG, ParsedRequest,
    RequestParser,
    catalog_gap_notices, respell_moods, singer_notices,
)
from assistant.vocabulary import name_key, title_key
from retrieval.catalog import Track
from retrieval.embeddings import model_words
from retrieval.filters import Range
from retrieval.index import artist_key
from retrieval.lexical import STOPWORDS, word_forms

EditKind = Literal["new", "refine", "steer", "subject", "length", "more_like", "add_songs", "add_style", "remove",
                   "replace", "exclude", "swap", "move", "reorder", "start_over", "undo", "question", "message",
                   "thanks", "rename", "redo"]

DEFAULT_MORE = 3  # tracks "add more like track 3" adds when no number is given
MAX_NAMED_MORE = 10  # "some Sublime, No Doubt, Zero 7, Ariana Grande and SZA": one track each, up to this many
UNIT_STEP = 0.1  # how far "more upbeat" / "calmer" moves a 0..1 feature past the playlist's mean
TEMPO_STEP = 10.0
SHORTER = 2 / 3
LONGER = 1.5


@dataclass
class Edit:
    """What a message asks for. Only the fields of its `kind` are set."""

    kind: EditKind
    text: str = ""  # the message (instructions to the system cut out)
    positions: list[int] = field(default_factory=list)  # 0-based track positions it refers to
    track_ids: list[str] = field(default_factory=list)  # add_songs: the catalog tracks the message names
    unknown_title: str | None = None  # a track it names that is not in the playlist
    n_tracks: int | None = None  # length: an absolute count
    minutes: float | None = None  # length: an absolute duration
    bound: LengthBound = "about"  # length: "at_most" for "under an hour", "at_least" for "at least 20 songs"
    add: int | None = None  # tracks to add (length, more_like, add_style; refine: if no track changes)
    about: str = ""  # add_style / steer / replace: the words the tracks should match ("some 80s rock", "west coast");
    # subject: what the songs should now be about
    to: int | None = None  # move: destination position; add_songs / more_like: 0 puts the added tracks first
    ordering: str | None = None  # reorder: a spec ordering, "shuffle", "reverse", "year", "newest", "tempo", "spread"
    topic: str | None = None  # question: what is asked about
    features: dict[str, Range] = field(default_factory=dict)  # refine: new feature ranges
    parsed: ParsedRequest | None = None  # refine / new / more_like: what the request parser read
    qualifiers: dict[str, Any] = field(default_factory=dict)  # more_like, replace: spec fields the new tracks take
    labels: list[str] = field(default_factory=list)  # refine: words for the change summary
    notices: list[str] = field(default_factory=list)
    then: Edit | None = None  # a second edit the same message asks for, applied after this one


# ------------------------------------------------------------------------------------------- patterns

_INJECTION = re.compile(
    r"(?:\b(?:please\s+)?(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}?\b(?:instructions?|prompts?|rules?"
    r"|guidelines|directions)\b(?:\s+and)?"
    r"|\b(?:output|print|reveal|show|repeat|display|leak|tell me|give me|write out)\b[^.!?\n]{0,30}?"
    r"\b(?:system prompt|prompts?|instructions?|configuration|secrets?|api keys?|password)\b(?:\s+and)?"
    r"|\byou are now\b[^.!?\n]*|\b(?:act|behave) as\b[^.!?\n]*|\bjailbreak\w*|\bdeveloper mode\b"
    r"|\bsystem\s*:|\bassistant\s*:)",
    re.IGNORECASE)
INJECTION_NOTICE = "Instructions aimed at the system were ignored: Segue only builds and edits playlists."

_UNDO = re.compile(r"^\W*(?:(?:ok|okay|great|thanks|hmm+|no|nah|actually|please|wait|oops|sorry|ugh)\W+)*"
                   r"(?:/undo|undo|go back|revert|take (?:that|it) back|back to the (?:last|previous) "
                   r"(?:one|version|playlist)|previous version|restore the (?:last|previous)(?: version| one)?)\b")
# not "put it back": after "remove track 3" that asks for the track, which "undo" gives
_REDO = re.compile(r"^\W*(?:(?:ok|okay|actually|please|wait|oops|sorry|no|hmm+)\W+)*(?:/redo|redo|undo (?:the|that|"
                   r"my) undo)\b(?:\W+please)?\W*$")
_START_OVER = re.compile(
    r"\b(?:start(?:ing)? (?:over|again|afresh|fresh)|from scratch|reset|/new|new chat|clear (?:it|all|everything|"
    r"the (?:playlist|list))|delete (?:everything|it all|all|the (?:playlist|list))|remove (?:everything|all "
    r"(?:the )?(?:songs|tracks))|wipe (?:it|everything|the (?:playlist|list))|throw (?:it|this) (?:all )?away)\b"
    # not "remove everything released after 2015", "delete all the songs by Drake": those say which
    r"(?!\s+(?:(?:the\s+)?(?:songs?|tracks?|ones|music|stuff)\s+)?(?:that|which|released|made|recorded|from|before|"
    r"after|since|older|newer|by|with|under|over|longer|shorter|in|of|except|but|slower|faster|louder|quieter)\b)")
# "different idea: 70s funk", "forget that, give me country", "can you make one for my mom's birthday?"
_NEW_IDEA = (r"(?:a )?(?:different|new|another|other) idea|forget (?:that|this|it|about (?:that|this|it))|"
             r"(?:make|do|build|create) (?:me )?(?:one|another one) (?:for|with|of)")
_NEW_MARKERS = re.compile(
    r"\b(?:new playlist|another playlist|different playlist|instead|something (?:completely |totally |entirely )?"
    r"different|change of plans?|switch to|now (?:give|play|make|some|i want)|give me|play me|make me|i want|"
    r"i'd like|i would like|can i (?:get|have)|could i (?:get|have)|how about|what about|let's (?:do|have|try)|"
    r"(?:build|create|make) (?:a|me a|us a|another)(?: new)?(?: \w+){0,3}? (?:playlist|mix)|"
    r"playlist (?:of|with|for)|"
    + _NEW_IDEA + r")\b")
_SUGGESTS = re.compile(r"\b(?:how about|what about)\b")
_SMALL_TALK = re.compile(r"^\W*(?:thanks|thank you|thx|ty|cheers|hi|hello|hey|yo|ok|okay|cool|great|nice|awesome|"
                         r"perfect|good|lovely|wow|yes|yeah|yep|no|nope|help|/help|bye|goodbye|what'?s up|sup|wassup)"
                         r"(?:\W+(?:so much|a lot|very much|you|again|there|segue|thanks|great|nice|cool|wizard|bot|"
                         r"friend|buddy|dj|assistant|everyone))*\W*$")
# The assistant itself asked about: "what can you do?" built a playlist of those words
_ABOUT_YOU = re.compile(r"^\W*(?:(?:hi|hello|hey|ok|okay|so|and)\W+)*(?:what (?:can|do|else can) you do|"
                        r"how (?:does|do) (?:this|it|you|i use (?:this|it|you)) work|how do i use (?:this|it|you)|"
                        r"what are you|"
                        r"who are you|what is this|what'?s this|what do you do|how can you help(?: me)?|"
                        r"what can i (?:ask|say|do))\b(?:\W+(?:here|for me|exactly|then|now|again|segue|bot|"
                        r"please))*\W*$")
_FAREWELL = re.compile(r"^\W*(?:(?:ok|okay|thanks|thank you|great|cool)\W+)*(?:bye|goodbye|good bye|bye bye|see you|"
                       r"see ya|cya|gotta go|that'?s all|that is all|i'?m done|all done)\b"
                       r"(?:\W+(?:for now|now|then|thanks|thank you|bye|later|again|soon|everyone))*\W*$")
# "Yes that is exactly what I am looking for", "Those songs are great too", "Perfec,t thank you": the listener
# is pleased; nothing should change. Only words of agreement and praise, and no word that asks for something.
_PRAISE = frozenset("yes yeah yep yup sure ok okay alright fine thanks thank thx cheers great good nice cool awesome "
                    "perfect perfectly lovely love loved wonderful excellent amazing brilliant fantastic superb "
                    "exactly right correct agreed agree understandable fair enough glad fun solid dope sick "
                    "fire banger bangers gorgeous beautiful pretty smooth calming sweet neat wow lol haha fab "
                    "fabulous incredible alright notch nicely yea liking grooving awsome".split())
_PRAISE_FILLER = frozenset("really very so much lot indeed definitely absolutely totally well that this these those is "
                           "are was were am be will would do did it its they them you what looking wanted songs song "
                           "tracks track playlist list music picks choices selection recommendations recommendation "
                           "job work done fits fit like enjoy enjoyed all of here there too also buddy mate man dude "
                           "sounds looks seems have hit spots spot one know some new far mix start forgotten top "
                           "turning shaping coming along such out up em jams jamz think got most everything".split())
# Words that ask for something, even beside praise: "make it about love", "great, but more upbeat"
_PRAISE_VETO = frozenset("make add give play more less change remove put want need about instead only just no not "
                         "but none don didn doesn isn aren wasn weren never hate dislike".split())
# Praise of all but some tracks: "I like them except track 2", "all good except the last song"
_LIKED_BUT = re.compile(r"\b(?:like|love|enjoy|dig|good|great|fine|ok|okay|perfect|nice|awesome)\b[^.!?;]*?\b"
                        r"(?:except|but not|apart from|other than|besides|save)(?: for)?\s+(?P<rest>[^.!?;]+)")
# The whole playlist missed: every track is replaced under the same constraints
_DISLIKES_ALL = re.compile(
    r"\b(?:none of (?:these|those|them|the songs|the tracks)|(?:don'?t|didn'?t|do not|did not) (?:really )?"
    r"(?:like|love|enjoy|dig) (?:any of |the sound of )?(?:these|those|them|the songs|the tracks|this playlist|"
    r"the playlist)|"
    r"not (?:a )?fan of (?:these|those|them|this playlist)|"
    r"not (?:really )?(?:feeling|into) (?:these|those|them|this|it)\W*$|"
    r"^\W*not (?:really |quite )?my (?:type|kind|style|thing|taste|cup of tea)\b|"
    r"(?:these|those|they) (?:are|were) (?:all )?(?:bad|terrible|awful|boring|not good|not great|not it)|"
    r"try again|^\W*(?:(?:do it |go |once )?again|once more|one more time|reroll|re-?roll)(?: please)?\W*$|"
    r"(?:different|other) (?:songs|tracks|ones)(?: please)?$|(?:not|(?:don'?t|do not) think (?:they|these|"
    r"those|it) (?:are|is)) (?:quite )?(?:the )?right (?:vibe|feel|mood|fit)|"
    r"^\W*(?:(?:play|give me|try|show me) )?something (?:else|new|different)(?: please)?\W*$|"
    r"\b(?:was|were|is|are|it's|its)(?:n'?t| not) (?:really |quite )?(?:my (?:type|kind|style|thing|taste|cup of tea)"
    r"|to my (?:liking|taste)|for me)\b|"
    r"\b(?:am|'m) (?:just |really |still )?not (?:just |really )?connecting with (?:the|these|those|them)\b)")
# A miss with nothing said of what should change: "meh", "hmm not quite", "almost there"
_VAGUE_MISS = re.compile(r"^\W*(?:(?:hmm+|meh|nah|eh|um+|well|ok|okay|close|almost|but|yeah)\W+)*"
                         r"(?:meh|nah|eh|not quite|close(?: but not quite)?|almost(?: there)?|"
                         r"not (?:really|exactly)(?: it)?|so-?so|could be better|not it)\W*$")
MISSED = "missed"  # message's topic: a miss with nothing said of what should change
# Praise turned around by the word before it ("they aren't good"); "no worries" or "never heard" turn nothing
_PRAISE_NEGATED = re.compile(r"(?:\bnot|n'?t|\bnever)\s+(?:very |so |that |really |too |all that )?(?:"
                             + "|".join(sorted(_PRAISE - {"ok", "okay", "fine", "sure", "alright"})) + r")\b")
# A "no" that answers a question before the praise: "no i think this is perfect. Thanks!"
_NO_FIRST = re.compile(r"^\W*(?:no|nope|nah)\b[\s,.!]*")
_CONTRACTIONS = frozenset("ve re ll im didn doesn isn aren wasn don".split())
# Praise is about what is there: "those are pretty songs", "really good picks" praise, "some pretty songs" asks.
_PRAISE_ANCHORS = frozenset("yes yeah yep yup ok okay thanks thank thx cheers these those this that it its they "
                            "them you your all wow lol haha so picks choices selection selections job start "
                            "everything".split())


_SENTENCE = re.compile(r"[^.!?;]+[.!?;]+\s*")


def _after_praise(low: str) -> str | None:
    """What follows the leading sentences of praise ("Yes! These are great. More from Kane Brown" -> "More
    from Kane Brown"), or None when the message does not open with praise."""
    end = 0
    for m in _SENTENCE.finditer(low):
        if m.start() != end or not _praises(m.group(0)):
            break
        end = m.end()
    rest = low[end:]
    return rest if 0 < end and rest.strip() else None


def _praises(low: str) -> bool:
    if re.search(r"\blove (?:songs?|music|tracks?|ballads)\b", low) or find_years(low):
        return False  # a kind of song, not praise; "Yes, from 2020 please" asks for a year
    low = re.sub(r"([a-z])\1{2,}", r"\1", low)  # "yeahhh", "niceee"
    if re.search(r"\b(?:like|love|enjoy|dig)\s+(?:them|these|those|it|this|that|everything|all of (?:them|it|these))\b|"
                 r"\byou (?:got|nailed) (?:it|(?:most|all) of (?:it|them))\b", low):
        low += " great"  # "I do like them", "i like everything", "you got most of it" praise as "great" does
    said = re.findall(r"[a-z]+", low)  # "you've" -> you, ve
    if _PRAISE_VETO.intersection(said):
        return False
    words = [w for w in said if len(w) > 1 and w not in STOPWORDS and w not in _CONTRACTIONS]

    def praise(w: str) -> bool:  # "perfec", "wonderfull": typed in a hurry
        return w in _PRAISE or any(len(w) >= 5 and (p.startswith(w) or w.startswith(p)) for p in _PRAISE
                                   if len(p) >= 5)

    anchored = len(said) == 1 or any(w in _PRAISE_ANCHORS for w in said)
    return anchored and any(map(praise, words)) and all(praise(w) or w in _PRAISE_FILLER for w in words)


_QUESTION_START = re.compile(r"^\W*(?:why|what|what's|whats|which|who|who's|whos|when|how|is|does|did|are|was|"
                             r"tell me|explain)\b")
# "perfect! can we add a few songs from Ms. Banks?" asks for a change, not about track "Perfect"
_POLITE_REQUEST = re.compile(r"^\W*(?:\w+\W+){0,3}?(?:can|could|would|will)\s+(?:we|you|i|u)\s+"
                             r"(?:please\s+|maybe\s+|also\s+)?(?:add|include|remove|drop|replace|swap|play|put|give|"
                             r"make|get|have|throw|try|hear|listen|change|switch|move|find|wrap|round|finish|"
                             r"incorporate|top|cap|close|end)\b")
# "Can I get some more like this?", "any other similar artists you'd recommend?": more of what is there
_MORE_OF_THESE = re.compile(r"\b(?:more|others?|anything|something|songs?|some)\s+(?:\w+\s+)?(?:like|similar to)\s+"
                            r"(?:this|these|that|those|them|it)\b|\bother (?:similar|suggestions|recommendations|"
                            r"songs like)|\bsimilar (?:artists|songs|tracks|ones)\b|\bmore suggestions\b|"
                            r"\bmore and more\b|\bmore of (?:this|these|that|those|the same)\b|"
                            r"\bkeep (?:them |it |'em |things |the |the (?:list|playlist|music|songs|hits) )?"
                            r"(?:coming|going|flowing|rolling)\b|"
                            r"\b(?:can|could) (?:i|we) (?:get|have) (?:some )?more\b|"
                            r"\b(?:any|a few|some) (?:last|final) (?:songs?|tracks?|suggestions|picks)\b|"
                            r"\b(?:in|of) the same (?:genre|style|vein|vibe|kind|type|mood)\b")
# Asking for an artist in a conversation: "Can I get some from Doja Cat?", "How about some Nujabes?"
_ASKS_FOR = re.compile(r"\b(?:can|could|may) (?:i|we|you) (?:(?:also|please|maybe) )?(?:have|get|add|hear|play|"
                       r"include)|\bgot (?:any|some|something|anything)\b|\bshow me|\bis there anything\b|"
                       r"\bplay (?:me )?(?:some|a few)|\bhow about|\bwhat about|\bdo you have|\bgive me some|"
                       r"\blet me hear|\bsome more|\ba few more|\bany more|\bi want some|\bi'?d love some|"
                       r"\bwhat else|\bwhat do (?:we|you) have|\bany (?:good|last|other)\b|\ba last few\b|"
                       r"\bsee what (?:you|we) (?:have|got|'ve got|can find) (?:by|from)\b|"
                       r"\b(?:i'?m|i am) thinking (?:about|of)\b")
# A fresh start, not more of the same: "a playlist of sad songs", "another mix", "instead", "just Drake"; not "the
# playlist" or "this playlist" (the one being built), "New Found Glory", "a different band" or "what else"
_FRESH = re.compile(r"\b(?:(?:a|an|another|new|different|separate|second|next) (?:\w+ ){0,2}?(?:playlist|mix)|"
                    r"playlist (?:of|with|for)|instead|brand new|(?<!\bis a )(?<!'s a )new one|"
                    r"something (?:new(?!\s+(?:by|from|to (?:listen|hear))\b)|(?:completely |totally |entirely )?"
                    r"different)|"
                    r"start (?:with|a|another|over|again|fresh|afresh|from)|let'?s start|only|just|"
                    r"switch (?:it )?(?:over )?to|" + _NEW_IDEA + r")\b")
_QUALITY_PRAISE = _PRAISE - {"love"}  # "a very good playlist" praises; "a love playlist" asks
# "switch 2 and 5"; not "lets switch to something calm"
_EXPLAIN_ALL = re.compile(r"^\W*(?:(?:can|could) you |please )?explain (?:your|the|these|this|those) (?:choices|"
                          r"picks|selection|playlist|songs|tracks|list)\b|"
                          r"\bhow (?:do|did) you (?:pick|choose|select|find|decide on) (?:the |these |those |your )?"
                          r"(?:songs|tracks|music|them|these)\b")
_LINKS = re.compile(r"\b(?:spotify|song|track) (?:links?|urls?|ids?)\b|\blinks? (?:to|for) (?:the |these |those )?"
                    r"(?:songs|tracks)\b")
_FEATURE_NAMES = r"valence|energy|danceability|acousticness|instrumentalness|speechiness|tempo|bpm|popularity|liveness"
# "what does valence mean?", "what's danceability?"; "what's the tempo?" asks the playlist's
_MEANING = re.compile(rf"\bwhat (?:does|do|is)(?: the)? (?P<name>{_FEATURE_NAMES}) (?:mean|stand for|measure)\b|"
                      r"\bwhat(?:'s| is) (?P<term>valence|danceability|acousticness|instrumentalness|speechiness|"
                      r"liveness)\W*$")
_ARTIST_SONG = re.compile(r"\b(?:song|track|one|songs|tracks|ones)\b")
_SWAP = re.compile(r"\b(?:swap|switch(?! (?:it |things )?(?:to|up|over|gears)\b)|exchange|flip|trade)\b")
_REPLACE = re.compile(r"\b(?:replace|substitute|swap out|switch out|change out)\b"
                      r"|\b(?:swap|switch|exchange|trade)\b.{0,30}\bfor (?:something|another|a different|one)\b"
                      # "make the first song something upbeat" replaced 13 tracks; a track is named, "it" is not
                      r"|\b(?:make|turn|change) (?:the |track |song |number |#)?[\w']+(?: (?:song|track|one))? "
                      r"(?:into |to )?(?:something|a (?:more|less|different))\b")
_OLDER = re.compile(r"\b(?:older|earlier|from further back|more (?:classic|vintage|retro|old school)|"
                    r"(?:too|so|very) (?:new|recent|modern)|"
                    r"go (?:back|further back) (?:a|one|another) (?:decade|few years|bit))\b")
_NEWER = re.compile(r"\b(?:newer|more (?:recent|modern|current)|fresher|less old|(?:too|so|very) (?:old|dated)|"
                    r"outdated)\b")
# "make track 1 the last song": a move without the verb
_MOVE = re.compile(r"\b(?:move|put|place|bump)\b"
                   r"|\bmake\b(?=.*\bthe (?:first|last|opening|closing) (?:song|track|one)\b)")
_REMOVE = re.compile(r"\b(?:remove|drop|delete|skip|cut|ditch|lose|kill|axe|scrap|get rid of|take out|take off|"
                     r"throw out|kick out|(?:i )?(?:don't|do not|dont) (?:like|want|love|play|add|include)|"
                     r"not (?:really |too |that |so |very )?(?:a (?:big |huge )?fan of|crazy about|keen on|into|"
                     r"feeling|liking|loving|digging)|hate|"
                     r"(?:i'm |im )?(?:sick|tired) of|no more of)\b")
# "less Drake", "fewer songs by Drake": half of theirs go, not all of them
_FEWER_WORD = re.compile(r"\b(?:less|fewer|too much|too many)\b")
_REMOVE_OR_FEWER = re.compile(f"{_REMOVE.pattern}|{_FEWER_WORD.pattern}")
_FEWER_BEFORE = r"\b(?:less|fewer|too much|too many)\s+(?:(?:of|songs?|tracks?|music|stuff|by|from|the|like)\s+){0,3}"
_MORE_LIKE = re.compile(r"\b(?:more|others?|songs?|tracks?|stuff|something|anything|some(?:thing)?)\s+"
                        r"(?:\w+\s+){0,2}?(?:like|similar to|in the style of|along the lines of)\b|\bsimilar to\b"
                        r"|\bmore of (?:that|this|those|track|song|the)\b|\bmore by\b")
# "can we wrap off with a couple songs by Roddy Ricch?": a playlist is finished by adding to it
_ADD = re.compile(r"\b(?:add|more(?! than\b)|another|extra|additional|throw in|include|(?:wrap|cap|round|top|finish|"
                  r"close)(?: it| this| things| the (?:playlist|list))? (?:up|off|out)|end (?:it |this )?with)\b")
_ADD_SONG = re.compile(r"\b(?:add(?:ing)?|include|throw in|stick in|squeeze in|append|queue(?: up)?)\b", re.IGNORECASE)
# "Radar Love would be perfect", "The Highway Don't Care would be good also", "Randy Travis would top it all off":
# a song or an artist suggested by name
_WOULD_FIT = re.compile(r"^\W*(?:(?:cool|great|nice|ok|okay|yes|and|also|maybe|perhaps|i think)\W+)*(?P<title>.{2,80}?)"
                        r"\s+(?:would|could|might) (?:(?:be|b|fit|sound|go|work)\s+(?:(?:a|an|really|so|very|pretty|"
                        r"just|super)\s+)*(?:good|great|perfect|nice|cool|awesome|amazing|fine|well|lovely|fantastic)\b"
                        r"|top (?:it|this|things|the (?:list|playlist)) (?:all )?off"
                        r"|round (?:it|this|things) (?:out|off))",
                        re.IGNORECASE)
# A subject of capitalised words only: a name ("Randy Travis"), not "This" nor "More upbeat"
_NAME_SUBJECT = re.compile(r"(?:[A-Z][\w'.&-]*\s+){0,4}[A-Z][\w'.&-]*")
_ADD_TAIL = re.compile(r"\s*\b(?:(?:in)?to (?:the|my|this|our) (?:playlist|list|mix)|in the mix|to it|in there|"
                       r"on there|too|as well|"
                       r"please|for me|at the end|to (?:round|top) (?:(?:it|this|things|the (?:list|playlist)) )?"
                       r"(?:up|out|off)(?: (?:it|this|things|the (?:list|playlist)))?|"
                       r"if you (?:don'?t|do not) mind|so (?:i|we) can \w+|"
                       r"(?:then|than|and then) (?:i'?ll|i will|we'?ll|we will|i can|we can)\b[^.!?]*)\W*$",
                       re.IGNORECASE)
_SONG_WORDS = re.compile(r"^(?:the |a )?(?:songs?|tracks?|tunes?)\s+(?:called\s+)?", re.IGNORECASE)
_NOT_A_TITLE = frozenset("more another one two three few couple some something anything any".split())
_NO_KIND = re.compile(r"\b(?:similar|like (?:these|those|them|this|that)|his|her|hers|their|theirs|him|them|now|lots?|"
                      r"bunch|loads?|tons?|heaps|plenty|few|couple|handful|bit|ones|stuff|songs?|tracks?|tunes|music|"
                      r"(?:of )?(?:your|my) (?:choice|choosing|picks?))\b")
# after at most two short clauses ("This is good, let's add some female artists", "Ok, to finish off, can you add")
_ADD_START = re.compile(r"^\W*(?:[^.!?;,]{0,40},\s*){0,2}(?:(?:nice|cool|great|lovely|perfect|awesome|ok|okay|thanks|"
                        r"yes|yeah)\W+)?"
                        r"(?:(?:please|can you|could you|would you|can we|could we|let's|lets|also|now|and|maybe|"
                        r"then|i want to|i'd like to|i would like to|i wanna)\s+)*"
                        r"(?:add|include|throw in|mix in|put in)\b\s*(.*)$")
# A song asked for by name to the message's end: "do you have the song sometimes good guys dont wear white?"
_ASKED_SONG = re.compile(r"(?i)\b(?:(?:can|could|may) (?:i|we|you) (?:get|have|hear|add|play)|do you have|have you got|"
                         r"(?:please )?(?:add|play))\s+"
                         r"(?:the song|the track|a song called|the song called|a track called)"
                         r"\s+[\"“']?(?P<title>[^.!?;\"”]{2,60}?)[\"”']?\s*[.!?]*\s*$")
# "add some tracks by Bach": an artist named after "by" that the catalog does not have
_BY_UNKNOWN = re.compile(r"\b(?P<word>by|from)\s+(?P<name>[^,;!?]{2,60}?)(?:\s+(?:songs?|tracks?|music))?\s*"
                         r"(?:\b(?:too|as well|please|also|to (?:wrap|round|finish|end|top|cap)\b.*|"
                         r"for (?:the|this|my) .*|to (?:the|my|this|our) (?:list|playlist|mix)\b.*)\s*"
                         r"|\.\s+(?:i|we|you|they|it|this|that|these|those|thanks?)\b.*)?\W*$")
STYLE_FIELDS = frozenset({"genres", "year_min", "year_max", "features", "track_minutes", "popularity"})
# "can i have some more from different artists?": the playlist's shape, not a new kind of music
_SHAPE_FIELDS = frozenset({"description", "max_per_artist", "n_tracks", "minutes", "length_bound", "ordering"})
_ADD_NOUN = re.compile(r"\b(?:songs?|tracks?|tunes?|numbers|something|some)\b")
_VAGUE_COUNT = re.compile(r"\b(?:couple|few|handful)\b")
# "add a few", "throw in a couple more please": more of the same ("add a few" leaned to the word "few")
_ADD_VAGUE = re.compile(r"\b(?:add|throw in|give me|get)\s+(?:a\s+)?(?P<k>few|couple|handful)"
                        r"(?:\s+(?:more|other|extra))?(?:\s+(?:songs|tracks|tunes))?"
                        r"\s*(?:please|pls|too|as well|to (?:it|the (?:list|playlist)))?\W*$")
# "a lot more", "loads more songs": more than "more" alone adds; not "a lot more upbeat"
_MANY_MORE = re.compile(r"\b(?:a lot|lots|loads|a load|a bunch|bunch|tons|a ton|plenty|many|heaps|way|much) more\b"
                        r"(?=\s*(?:(?:songs|tracks|music|tunes|of (?:these|them|those|the same)|please|like (?:these|"
                        r"those|that|this|them))\b|[.!?,]|$))")
MANY_MORE = 6
_SHORTER = re.compile(r"\b(?:shorter|shorten|cut it down|trim(?: it)?|"
                      r"(?:fewer|less) (?:songs|tracks)(?! (?:with|that|which|by|from|like|in|of|about)\b)|"
                      r"too long)\b")
# "add more" alone lengthens; "add more energy" is a mood (see _RELATIVE)
# not "more songs by Toby Keith" nor "more songs similar to ...": those name what to add
_LONGER = re.compile(r"\b(?:longer|lengthen|extend(?: it)?|too short|make it (?:\w+ )?long|"  # "increasethe"
                     r"(?<!not )(?<!n't )increase(?! (?:the )?(?:energy|intensity|volume|tempo|bpm|pace|speed)))")
# "double it", "half as long": the length times two or one half
_DOUBLE = re.compile(r"\b(?:double (?:it|this|the (?:length|playlist|list|songs|tracks|number))|twice as (?:long|many)|"
                     r"two times (?:longer|as long))\b")
_HALVE = re.compile(r"\b(?:halve (?:it|this|the (?:length|playlist|list))|half as (?:long|many)|"
                    r"cut (?:it |this |the (?:playlist|list) )?(?:in|by) half)\b")
# "keep only the first 5": the first tracks kept, the rest cut
_KEEP_FIRST = re.compile(rf"\b(?:keep|just|only)\s+(?:only\s+|just\s+)?the\s+(?:first|top)\s+({COUNT_WORDS})\b"
                         r"(?!\s+(?:minutes?|mins?|hours?)\b)")
# "more songs", "let's have more": a few more, as "more please" ("Nicee, Lets have more" added half again)
_MORE_TRACKS = re.compile(r"\bmore (?:songs|tracks)(?!\s+(?:by|from|like|similar|of(?! (?:your|my) choice)|in|on|"
                          r"with|that|about|for)\b)|"
                          r"\b(?:add|get|have|give me) (?:some )?more(?: (?:songs|tracks|tunes|music))?(?: please)?\W*$"
                          r"|^\W*(?:some )?more(?: please)?\W*$")
# "make it about summer", "now songs about love instead", "change the topic to rain": the same constraints and
# length, another subject. A bare "songs about love" in a chat is a new request, like any other.
_SUBJECT_CHANGE = re.compile(
    r"^\W*(?P<lead>(?:(?:now|and|but|ok|okay|then|please|actually)\W+)*)(?P<verb>(?:make|have) (?:it|them|the "
    r"(?:playlist|songs|tracks|list))(?: (?:all|only|just))? |change (?:it|the (?:topic|subject|theme)) to |switch "
    r"(?:it )?to |(?:let'?s )?(?:do|try) |(?:only|just|rather) )?(?:(?:songs?|tracks?|ones|music) )?(?:that are )?"
    r"(?:about|on) (?P<topic>.+?)(?P<tail> instead| now| please)?\W*$")
# More by the artists already in the playlist (no name said)
_THEIR_ARTISTS = re.compile(r"\b(?:from|by) (?:those|these|the same|these same|those same|the playlist'?s?) "
                            r"(?:artists?|bands?|singers?|groups?|musicians?|rappers?)\b|"
                            r"\b(?:more|songs?|tracks?|anything|something)(?: else)? (?:from|by) them\b")
PLAYLIST_ARTISTS = "playlist artists"  # more_like's topic: the playlist's own artists
FEWER = "fewer"  # exclude's topic: "less Drake" halves the artist's tracks
FEWER_YEARS = "fewer years"  # exclude's topic: "less 80s" halves the era's tracks
# "i love jerry lee lewis. got more of him?": "him" is someone the catalog lacks, not whoever was named last
_LIKED_UNKNOWN = re.compile(r"\bi (?:really )?(?:love|like|adore|enjoy)\s+(?!(?:him|her|them|it|this|that|these|those|"
                            r"the|his|her|their|all|every|most|some|listening|to|how|what)\b)\w+(?: \w+){0,2}[.!?,;]")
# More by one artist, not named: the one whose song the message names, or the one named last
_HIS = re.compile(r"\b(?:more|some|other|any|a few|few|couple|lots|a lot|plenty)\s+(?:more\s+)?(?:of\s+)?"
                  r"(?:his|her)\s+(?:songs?|tracks?|music|stuff|hits|tunes|work)\b|"
                  r"\bmore (?:of|off|from|by) (?:him|her)\b|"
                  r"\b(?:some|more|any)\s+(?:more\s+)?of\s+(?:his|hers)\b(?=\s*(?:[.!?,]|$))")  # "add some of his"
_MIX_UP = re.compile(r"\bmix (?:it|them|things) up\b")
_SHUFFLE = re.compile(r"\b(?:shuffle|randomi[sz]e)\b|" + _MIX_UP.pattern)
_LET_US = re.compile(r"\blet us\b(?!\s+know\b)", re.IGNORECASE)
_PUT_IN = re.compile(r"^(\W*(?:(?:can|could|would) you\s+|please\s+|let'?s\s+)?)(?:put|stick|slip|get)\s+(.+?)\s+"
                     r"(?:in there|in here|in it|on there|in|on)(?:\s+(?:the|this|my) (?:playlist|mix|list))?(\W*)$",
                     re.IGNORECASE)
# The whole playlist found dull: "this is boring", "it's kinda dull" (as "too boring": livelier)
_DULL = re.compile(r"(?i)^\W*(?:this|it|that|these|they|the (?:playlist|list|mix|songs))"
                   r"(?:'s| is| are| feels?| sounds?| seems?)(?: (?:so|kinda|kind of|a bit|a little|pretty|really|too|"
                   r"just|getting))* "
                   r"(?:boring|dull|sleepy)\W*$")
_RAP_UP = re.compile(r"(?i)\brap (?=(?:it |this |things |the (?:playlist|list) )?up\b)")
_REVERSE = re.compile(r"\b(?:reverse|backwards|flip the order)\b")
# "space out the songs by the same artist", "no artist back to back": the same tracks, an artist's kept apart
_SAME_ARTIST = r"(?:the same|one|an?|any|each) (?:artist|band|singer)"
_SPREAD = re.compile(rf"\b(?:space|spread|split|break|mix) (?:(?:them|it|things) )?(?:out|up|apart)\b.{{0,30}}\b"
                     rf"(?:by|from) {_SAME_ARTIST}|\b(?:by|from) {_SAME_ARTIST}\b.{{0,20}}\b(?:back to back|in a row|"
                     rf"next to each other|together|spread out|spaced out|apart)\b|\b(?:artists?|bands?) (?:twice )?"
                     rf"(?:back to back|in a row)\b")
_SORT = re.compile(r"\b(?:sort|order|arrange)\b.{0,20}?\b(year|date|age|chronolog\w*|tempo|bpm|energy)\b|"
                   r"\bchronological(?:ly)?\b|\b(?:in|by) (?:order of )?release(?: date)?(?: order)?\W*$")
# "oldest first", "newest to oldest": by year, the way said (they leaned to the words)
_NEW = r"(?:newest|latest|most recent|new)"
_AGE_ORDER = re.compile(rf"\b(?:(?P<old>oldest|earliest)|(?P<new>{_NEW}))(?: (?:songs|tracks|ones|stuff))? "
                        rf"(?:first|on top|at the (?:top|start|beginning))\b|"
                        rf"\b(?:(?P<old_to>oldest|old|earliest)|(?P<new_to>{_NEW}))(?: songs?)? to (?:the )?"
                        rf"(?:{_NEW}|oldest|old|earliest)(?: songs?| ones?)?\W*$")

# A feature turned up or down by a verb: "raise the energy", "bring the tempo down", "pick up the pace"
_RAISED = r"(?:raise|increase|boost|lift|up|bump up|turn up|bring up|pump up|crank up|amp up|kick up|ramp up|pick up)"
_LOWERED = r"(?:lower|reduce|decrease|drop|turn down|bring down|tone down|dial down|dial back|take down|ease)"
_UP_AFTER = r"(?:turn|bring|pump|crank|amp|kick|ramp|bump|pick|dial)"
_DOWN_AFTER = r"(?:turn|bring|tone|dial|take)"
_BY = r"(?:a (?:bit|little|lot|notch) )?"


def _turned(nouns: str, up: bool) -> str:
    verb, after, comparative = (_RAISED, _UP_AFTER, "higher") if up else (_LOWERED, _DOWN_AFTER, "lower")
    return (f"{verb} (?:the )?{nouns}|{after} (?:the )?{nouns} {_BY}{'up' if up else 'down'}|"
            f"(?:make )?(?:the )?{nouns} {_BY}{comparative}")


_ENERGY_NOUNS = r"(?:energy|intensity|volume)"
_TEMPO_NOUNS = r"(?:tempo|bpm|pace|speed)"

# Relative moods: phrase -> ({feature: +1 | -1}, summary words).
_RELATIVE: tuple[tuple[re.Pattern[str], dict[str, int], str], ...] = tuple(
    (re.compile(pattern), moves, label) for pattern, moves, label in (
        (r"\bless upbeat\b", {"energy": -1, "valence": -1}, "less upbeat"),
        (r"\b(?:more upbeats?|upbeat(?:ter)?|more up ?beats?|up beat)\b", {"energy": 1, "valence": 1}, "more upbeat"),
        (r"\b(?:(?:less|not so much|(?:way )?too much) (?:energy|intensity)|"
         r"less (?:energetic|intense|loud|aggressive|hype|hard|heavy)|lower energy|calmer|more calm|"
         r"calm (?:it|things) down|chill(?:er)?|more chill(?:ed)?|mellower|more mellow|softer|quieter|gentler|"
         r"eas(?:y|ier) on the ears?|"
         r"more (?:gentle|relaxed|relaxing|laid back)|tone it down|more low[- ]key|"
         rf"{_turned(_ENERGY_NOUNS, False)}|(?:bring|take|turn|tone|dial) (?:it|things) down {_BY}|down a notch)\b",
         {"energy": -1},
         "energy lowered"),
        (r"\b(?:more (?:energy|energetic|intense|lively|hype|power|powerful|punch|punchy|aggressive)|higher energy|"
         r"livelier|harder|louder|heavier|pump (?:it )?up|amp (?:it )?up|more oomph|(?:step|kick|turn) (?:it|things) "
         rf"up|up a notch|{_turned(_ENERGY_NOUNS, True)}|(?:crank|ramp|kick) (?:it|things) up)\b", {"energy": 1},
         "energy raised"),
        (r"\b(?:happier|more (?:happy|cheerful|positive|joyful|uplifting|fun|feel[- ]good)|brighter|"
         r"less (?:sad|dark|melanchol\w*|depressing|gloomy|moody)|more hopeful|cheer (?:me|us) up)\b", {"valence": 1},
         "happier"),
        (r"\b(?:sadder|darker|moodier|more (?:sad|melanchol\w*|moody|dark|emotional|somber)|"
         r"less (?:happy|cheerful|cheery|positive))\b", {"valence": -1}, "sadder"),
        (r"\b(?:less (?:danceable|dancey|groovy))\b", {"danceability": -1}, "less danceable"),
        (r"\b(?:more (?:danceable|dancey|groovy|dance)|groovier|funkier|danceable)\b", {"danceability": 1},
         "more danceable"),
        (rf"\b(?:faster|quicker|speed (?:it )?up|higher (?:tempo|bpm)|more tempo|up ?tempo|"
         rf"{_turned(_TEMPO_NOUNS, True)}|speed up (?:the )?{_TEMPO_NOUNS})\b", {"tempo": 1}, "faster"),
        (rf"\b(?:slower|slow (?:it )?down|lower (?:tempo|bpm)|down ?tempo|{_turned(_TEMPO_NOUNS, False)}|"
         rf"slow (?:down )?(?:the )?{_TEMPO_NOUNS}(?: down)?)\b", {"tempo": -1}, "slower"),
        (r"\b(?:less acoustic|more electronic)\b", {"acousticness": -1}, "less acoustic"),
        (r"\bmore acoustic\b", {"acousticness": 1}, "more acoustic"),
    ))

_OPPOSITE = {"less upbeat": "more upbeat", "more upbeat": "less upbeat", "energy lowered": "energy raised",
             "energy raised": "energy lowered", "happier": "sadder", "sadder": "happier",
             "less danceable": "more danceable", "more danceable": "less danceable", "faster": "slower",
             "slower": "faster", "less acoustic": "more acoustic", "more acoustic": "less acoustic"}
# "not a fan of the louder Metallica songs", "I don't want it any faster": the comparative is turned down; not
# "I'm not into blondie and more upbeats please"
_TURNED_DOWN_BEFORE = re.compile(r"(?:\bnot (?:a (?:big )?fan of|into|feeling)|\b(?:don'?t|do not|didn'?t) "
                                 r"(?:like|love|want|need|care for|enjoy)|\bhate|\b(?:sick|tired) of|\bno more)"
                                 r"(?:(?!\b(?:but|just|only|instead|rather|so)\b)[^.!?;,])*"
                                 r"\b(?:the|those|these|any|it|them|that)\s+[\"“']?$")

_THAN_NUMBER = re.compile(r"\s+than\s+\d")
# "Let's keep it upbeat": the mood holds, no move past the playlist's mean
_KEEP = re.compile(r"\b(?:keep|keeping|stay|staying)\s+(?:it|things|them|this|the (?:vibe|mood|playlist|energy))?\s*"
                   r"(?:nice and |as |so |this |that |pretty |fairly |quite )?$")

_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("why", re.compile(r"\bwhy\b|\breason\b|\bhow come\b|\bwhat(?:'s| is) .{0,30} doing (?:here|there|in)\b")),
    ("tempo", re.compile(r"\b(?:tempo|bpm|how fast|speed|beats per minute)\b")),
    ("year", re.compile(r"\b(?:year|when|how old|released|release date|come out|came out|decade)\b")),
    ("genre", re.compile(r"\b(?:genres?|style|kind of music|type of music|what kind)\b")),
    ("energy", re.compile(r"\b(?:energy|energetic|intense|intensity)\b")),
    ("mood", re.compile(r"\b(?:mood|happy|sad|valence|positive|feel like)\b")),
    ("danceability", re.compile(r"\b(?:danceab\w+|dance to|groovy)\b")),
    ("duration", re.compile(r"\b(?:how long|length|duration|minutes)\b")),
    ("count", re.compile(r"\bhow many\b")),
    ("album", re.compile(r"\balbum\b")),
    ("popularity", re.compile(r"\b(?:popular|popularity|famous|well[- ]known)\b")),
    ("artist", re.compile(r"\b(?:who|artist|sings|sung|performs|performed|band)\b")),
)
_SHORT_ASKED = re.compile(r"^\W*(?:(?:so|and|ok|okay)\W+)?what(?:'s| is| are)(?: the)? (?:average |overall |general )?"
                          r"[a-z]+\W*$")
_PLAYLIST_WORDS = re.compile(r"\b(?:is (?:this|it)|are (?:these|they)|of (?:this|these|them)\W*$|"
                             r"playlist|the list|it all|the whole|in total|overall|average|all (?:the )?"
                             r"(?:songs|tracks)|this mix)\b")

# ----------------------------------------------------------------------------------------- features


def _mean(tracks: list[Track], feature: str) -> float | None:
    values = [getattr(t, feature) for t in tracks if getattr(t, feature) is not None]
    return sum(values) / len(values) if values else None


def shift_feature(feature: str, direction: int, tracks: list[Track], current: Range | None) -> Range:
    """The range that moves `feature` past the playlist's mean: "more upbeat" puts every track above it."""
    step, low, high = (TEMPO_STEP, 60.0, 190.0) if feature == "tempo" else (UNIT_STEP, 0.05, 0.95)
    digits = 0 if feature == "tempo" else 3  # "tempo >= 145", not 145.03
    mean = _mean(tracks, feature)
    if mean is None:
        mean = (low + high) / 2
    current = current or Range()
    if direction > 0:
        bound = round(min(mean + step, high), digits)
        return Range(min=bound, max=current.max if current.max is not None and current.max > bound else None)
    bound = round(max(mean - step, low), digits)
    return Range(min=current.min if current.min is not None and current.min < bound else None, max=bound)


def relative_moods(low: str, tracks: list[Track], spec: PlaylistSpec) -> tuple[dict[str, Range], list[str]]:
    """Feature ranges for comparatives ("calmer", "more upbeat", "faster") and their summary words."""
    features: dict[str, Range] = {}
    labels: list[str] = []
    taken: list[tuple[int, int]] = []
    # complaints first: "too upbeat" is no "upbeat"
    said = [(m, _complaint_moves(m.group(1)), f"less {m.group(1)}")
            for pattern in (_COMPLAINT, _REFUSED_MOOD) for m in pattern.finditer(low)]
    # "not really relaxing enough": toward the mood
    said += [(m, {k: -v for k, v in _complaint_moves(m.group(1)).items()}, f"more {m.group(1)}")
             for m in _NOT_ENOUGH.finditer(low)]
    said += [(m, {k: -v for k, v in moves.items()}, _OPPOSITE[label]) if _TURNED_DOWN_BEFORE.search(low[:m.start()])
             else (m, moves, label) for pattern, moves, label in _RELATIVE for m in pattern.finditer(low)]
    for m, moves, label in said:
        if not moves or any(s < m.end() and m.start() < e for s, e in taken) or _KEEP.search(low[:m.start()]) \
                or _THAN_NUMBER.match(low, m.end()):  # "faster than 140 bpm" is a bound the parser reads
            continue
        taken.append((m.start(), m.end()))
        for feature, direction in moves.items():
            features[feature] = shift_feature(feature, direction, tracks, spec.features.get(feature))
        if label not in labels:
            labels.append(label)
    return features, labels


# ------------------------------------------------------------------------------------------- classify


def strip_injection(message: str) -> tuple[str, bool]:
    """The message without instructions aimed at the system, and whether any were cut."""
    cleaned, n = _INJECTION.subn(" ", message)
    return " ".join(cleaned.split()), n > 0


_NTH_ARTIST = re.compile(r"\b(?:the\s+)?(?P<nth>" + "|".join(ORDINALS) + r"|last|(?P<n>\d{1,2})(?:st|nd|rd|th))\s+"
                         r"(?:artist|band|singer|rapper|group)\b", re.IGNORECASE)


# "the artist of track 3", "track 3's artist"
_TRACK_ARTIST = re.compile(r"\b(?:the\s+)?(?:artist|band|singer|rapper|group)\s+(?:of|from|on|behind)\s+(?:the\s+)?"
                           r"(?:track|song|number|#)\s*(?P<n>\d{1,2})\b|\b(?:track|song)\s+(?P<n2>\d{1,2})'s\s+"
                           r"(?:artist|band|singer|rapper|group)\b", re.IGNORECASE)


def _nth_artists_named(text: str, playlist: Playlist | None) -> str:
    """`text` with "the second artist" written as the playlist's second artist, in order of first appearance
    ("drop the second artist" drops Rihanna as "drop Rihanna" does); "the last artist" is the last track's, "the
    artist of track 3" track 3's."""
    if playlist is None or not playlist.tracks:
        return text
    artists = list(dict.fromkeys(t.artist for t in playlist.tracks))

    def named(m: re.Match[str]) -> str:
        nth = m.group("nth").lower()
        if nth == "last":
            return playlist.tracks[-1].artist
        k = int(m.group("n")) if m.group("n") else ORDINALS[nth]
        return artists[k - 1] if 1 <= k <= len(artists) else m.group(0)

    def of_track(m: re.Match[str]) -> str:
        k = int(m.group("n") or m.group("n2"))
        return playlist.tracks[k - 1].artist if 1 <= k <= len(playlist.tracks) else m.group(0)

    return _TRACK_ARTIST.sub(of_track, _NTH_ARTIST.sub(named, text))


def _meaningful(text: str) -> bool:
    """Whether a message has a word to act on: not only stopwords and single letters, unless the letters
    spell a genre ("i like R&B")."""
    low = normalize(text)
    words = re.findall(r"[^\W_]+", low)
    return any(w not in STOPWORDS and len(w) > 1 for w in words) or bool(_LETTER_GENRE.search(low))


_LETTER_GENRE = re.compile(r"\br\s*(?:&|and|n)\s*b\b")


REFINE_FIELDS = frozenset({"year_min", "year_max", "exclude_artists", "exclude_genres", "exclude_tracks", "genres",
                           "features", "track_minutes", "popularity", "max_per_artist", "allow_remixes", "allow_live"})


def classify(message: str, playlist: Playlist | None, parser: RequestParser) -> Edit:
    """The edit a message asks for, given the current playlist (None before the first one)."""
    text, injected = strip_injection(message)
    notices = [INJECTION_NOTICE] if injected else []
    # "more eergetic" moves energy too; "add some Jasmine Sullivan" adds Jazmine Sullivan
    meant = _RAP_UP.sub("wrap ", respell_moods(text, parser.vocab))  # "Can we rap up with some Ella Mai?"
    meant = _LET_US.sub("let's", meant)
    meant = _PUT_IN.sub(r"\1add \2\3", meant)  # "put Hotel California in there" understood nothing
    meant = _DULL.sub("too boring", meant)  # "this is boring" leaned to the word
    edit = _classify(_artists_respelled(_nth_artists_named(meant, playlist), parser), playlist, parser)
    if edit.kind == "new" and playlist is not None and playlist.tracks and _asks_nothing_new(edit, text):
        edit = Edit("message", topic=NEXT_PLAYLIST)  # "can we make another playlist?" built one of nothing
    if edit.then is None and edit.kind in _CHAINED and playlist is not None and playlist.tracks:
        edit = _both_parts(meant, edit, playlist, parser) or edit
    if edit.kind in ("refine", "add_style", "steer") and (name := _unknown_name(text, parser)) and (
            _unknown_words(name, parser) or _written_as_a_name(name, parser)
            and not find_titles(name, playlist.tracks if playlist else [])):
        notices.append(f"{UNKNOWN_ARTIST} {name}: {FOLLOWS_THE_REST}")  # "some r&b from Johnne Drille"
    if edit.kind in ("refine", "add_style", "steer"):  # "more female singers" leaned to the words, unsaid
        notices += [n for n in singer_notices(text) if n not in edit.notices]
    edit.text = text
    edit.notices = notices + edit.notices
    return edit


# Edits of the playlist as it stands that one message may ask one after the other: "more upbeat and add 5 more
# songs", "swap 1 and 2, then remove the last one" (each did only one of the two)
_CHAINED = frozenset({"length", "reorder", "swap", "move", "remove", "refine", "rename", "exclude"})
# Where such a message divides, the surest first: "swap 1 and 2, then ..." is no "swap 1"
_PART_BREAKS = (re.compile(r"\s*(?:[.;]|,?\s*(?:and )?then)\s+"), re.compile(r",\s*(?:and\s+)?|\s+and\s+"))


MAX_CHAINED_WORDS = 25
MAX_PART_TRIES = 4
_SAID_LENGTH = re.compile(rf"\b(?:{COUNT_WORDS}|hours?|minutes?|longer|shorter|double|half|halve)\b")


def _complete(edit: Edit, part: str) -> bool:
    """Whether an edit read from part of a message asks for all it needs ("swap 1" does not); a length only when
    said outright ("lots of suggestions" alone reads as "more")."""
    return {"length": bool(_SAID_LENGTH.search(part.lower())), "reorder": True, "rename": bool(edit.about),
            "swap": len(edit.positions) == 2,
            "move": bool(edit.positions) and edit.to is not None, "remove": bool(edit.positions),
            "refine": bool(edit.features or edit.parsed and edit.parsed.found & REFINE_FIELDS)}.get(edit.kind, False)


def _added_beside_turned_down(a: Edit, b: Edit, whole: Edit) -> bool:
    """Artists or songs added in one part and turned down in the other, read whole as all turned down: "add
    Prince and remove Whitney Houston" turned both away."""
    if not (whole.kind == b.kind == "exclude" and whole.parsed and b.parsed and b.parsed.found & _EXCLUSION_FIELDS):
        return False
    if a.kind == "more_like" and a.parsed:
        return bool(set(a.parsed.spec.seed_artists) & set(whole.parsed.spec.exclude_artists))
    return a.kind == "add_songs" and bool(set(a.track_ids) & set(whole.parsed.spec.exclude_tracks))


def _both_parts(text: str, whole: Edit, playlist: Playlist, parser: RequestParser) -> Edit | None:
    """The message read as two edits of different kinds, the first then the second, when it divides into two
    parts that each ask for one in full and the whole was read as only one of them. Short messages only, and a
    few places tried: each try reads both parts (a long list of commas took seconds)."""
    if len(text.split()) > MAX_CHAINED_WORDS:
        return None
    breaks = [m for pattern in _PART_BREAKS for m in pattern.finditer(text)][:MAX_PART_TRIES]
    for m in breaks:
        first, second = text[:m.start()].strip(), text[m.end():].strip()
        if not (_meaningful(first) and _meaningful(second)):
            continue
        a, b = _classify(first, playlist, parser), _classify(second, playlist, parser)
        complete = _complete(a, first) and _complete(b, second) or _added_beside_turned_down(a, b, whole) or \
            _added_beside_turned_down(b, a, whole)
        if (a.kind != b.kind and complete and a.then is None and b.then is None and whole.kind in (a.kind, b.kind)):
            if (a.kind, b.kind) == ("length", "refine"):  # "longer and calmer": the added tracks calmer too
                a, b = b, a
            a.then = b
            return a
    return None


NEXT_PLAYLIST = "next playlist"  # message's topic: another playlist asked for, with nothing said of it
_NEXT_ALONE = re.compile(r"^\W*(?:ok\W+|okay\W+)?(?:next|next one|next playlist|what'?s next)(?: please)?\W*$")
# Words that ask for another playlist and say nothing of it
_NEXT_WORDS = STOPWORDS | frozenset(
    "playlist playlists mix list new another different separate second next instead brand something completely "
    "totally entirely one start switch over again fresh afresh make create build do try have move on go continue "
    "carry stick keep going should please ok okay can could would get want wanna need let's lets us me i we you "
    "think maybe now see yes yeah sure cool thanks".split())


def _asks_nothing_new(edit: Edit, text: str) -> bool:
    """A new playlist asked for with nothing said of what it should be ("can we make another playlist?")."""
    words = re.findall(r"[a-z']+", normalize(edit.text or text).replace("’", "'"))
    return edit.parsed is not None and not edit.parsed.constrained and not edit.parsed.spec.about and \
        all(w in _NEXT_WORDS for w in words)


def _classify(text: str, playlist: Playlist | None, parser: RequestParser, *, praised: bool = False) -> Edit:
    """The message read as meant (remarks and praise cut), then the rules in order: talk (thanks, undo, start
    over), the tracks as they stand (`_track_edit`), then by the parser's reading (`_read_edit`). `praised`: the
    message opened with praise of the playlist, which was cut off `text`."""
    low = normalize(text).replace("’", "'")
    if "anymore" in low and not _NO_LONGER.search(low):
        text, low = _ANYMORE.sub(r"\1 \2", text), _ANYMORE.sub(r"\1 \2", low)
    if playlist is not None and _NOT_WHAT_THEY_ARE.search(text):
        text = _wished(text, parser)
        low = normalize(text).replace("’", "'")
    if playlist is not None and playlist.tracks and (said := _without_remarks(text, parser, playlist.tracks)) != text:
        if not _meaningful(said) or _praises(normalize(said)):
            return Edit("thanks")  # "Great picks, Wiz Khalifa and B.O.B are newer 2000s. But still all good picks."
        text, low = said, normalize(said).replace("’", "'")
    if playlist is not None and playlist.tracks:
        if suggested := _suggested(text, parser):  # "Jolene would be a great addition" asks, though it praises
            return suggested
        if (m := _LIKED_BUT.search(low)) and (but := _moved_track(text[m.start("rest"):], m.group("rest"),
                                                                  playlist.tracks)):
            return Edit("remove", positions=but)  # "love it except for track 3" was thanked or not understood
        if _praises(low) or ((no := _NO_FIRST.match(low)) and _praises(low[no.end():])) or _AGREED.fullmatch(low):
            return Edit("thanks")  # "no i think this is perfect. Thanks!": nothing more wanted
        # "These are great! Can you add some blues?": the praise first, then the request, which is what counts;
        # a rest that asks for nothing leaves the praise ("I do, thank you. I think this is what I needed")
        if (rest := _after_praise(low)) is not None:
            edit = _classify(text[len(text) - len(rest):], playlist, parser, praised=True)
            return Edit("thanks") if edit.kind == "message" and not edit.unknown_title else edit
    # "make it 8 tracks" is all stopwords but the one-digit count
    if playlist is not None and playlist.tracks and _FAREWELL.match(low):  # "bye": no help text after a playlist
        return Edit("thanks", topic="farewell")
    if playlist is not None and playlist.tracks and _VAGUE_MISS.match(low):  # "nah" leaned to the word "nah"
        return Edit("message", topic=MISSED)
    if (not _meaningful(text) and not find_length(low)) or _SMALL_TALK.search(low) or _ABOUT_YOU.search(low):
        return Edit("message")
    if _REDO.search(low):
        return Edit("redo")
    if _UNDO.search(low):
        return Edit("undo")
    if m := _START_OVER.search(low):
        rest = (text[:m.start()] + " " + text[m.end():]).strip(" ,.;:-!")
        rest = re.sub(r"^(?:and|with|then|now)\b\s*", "", rest, flags=re.IGNORECASE)
        if _meaningful(rest) and len(rest.split()) >= 2:
            return Edit("new", parsed=parser.analyse(rest), text=rest)
        return Edit("start_over")
    if playlist is None or not playlist.tracks:
        if _QUESTION_START.search(low) and find_positions(low, 0):
            return Edit("question")  # about a track, before there is any
        return Edit("new", parsed=parser.analyse(text))
    return _track_edit(text, low, playlist, parser) or _read_edit(text, low, playlist, parser, praised)


def _track_edit(text: str, low: str, playlist: Playlist, parser: RequestParser) -> Edit | None:
    """An edit of the tracks as they stand, or a question about them: playback, "more please", a question,
    seasonal songs out, replace, swap, reorder, move."""
    tracks = playlist.tracks
    n = len(tracks)
    if _NEXT_ALONE.match(low):  # "next" leaned to the word: what should the next playlist be?
        return Edit("message", topic=NEXT_PLAYLIST)
    if _PLAYBACK.search(low):
        return Edit("question", topic="playback")
    if _LINKS.search(low):  # "do you have Spotify links?" leaned to the words
        return Edit("question", topic="links")
    if m := _MEANING.search(low):  # "what does valence mean?" got the help text
        return Edit("question", topic="meaning", about=m.group("name") or m.group("term"))
    if _EXPORT.search(low):  # "export", "can I download these?", "put it on my spotify"
        return Edit("question", topic="export")
    if _EXPLICIT.search(low):  # "nothing explicit please": the catalog does not say (it leaned to "explicit")
        return Edit("question", topic="explicit")
    if m := _RENAME.match(text):  # "call it Road Trip": the title, which names the export file too
        return Edit("rename", about=m.group("name").strip())
    if _TITLE_ASKED.search(low):
        return Edit("question", topic="title")
    if _NAME_ASKED.search(low):  # "give it a name" leaned to the word "name"
        return Edit("rename")
    if m := _ANOTHER_LIKE.search(low):  # "do another one like this but calmer" added one track
        rest = re.sub(r"^\W*(?:(?:but|and|with|only|just|a bit|a little|slightly)\W+)*", "", text[m.end():])
        if _meaningful(rest) and (edit := _classify(rest, playlist, parser)).kind not in ("message", "thanks"):
            return edit  # "... but calmer": this playlist, calmer
        return Edit("replace", positions=list(range(n)))
    if (m := _CUT_TO.search(low)) and (k := count_word(m.group("n"))):
        return Edit("length", n_tracks=min(k, n))  # "cut it down to 10" removed track 10
    if _ARTISTS_ASKED.search(low):
        return Edit("question", topic="artists")
    if _DUPLICATES.search(low):  # "remove the duplicates": the later copies of a song, or none to remove
        first: dict[str, int] = {}
        copies = [i for i, t in enumerate(tracks) if first.setdefault(song_key(t), i) != i]
        return Edit("remove", positions=copies) if copies else Edit("question", topic="duplicates")
    if _EXPLAIN_ALL.search(low):  # "explain your picks": how the playlist was chosen
        return Edit("question", topic="why")
    if _CAN_NAME_SONGS.search(low):  # "Am I able to request specific songs to be added?" was thanked
        return Edit("question", topic="naming")
    # "thank you, more please?": no question about "Thank You" here; "add a few more to round it up": no kind
    # "This playlist will greatly improve my work out but I need you to add few more": what follows "but" asks
    if _ONLY_MORE.match(_ADD_TAIL.sub("", re.split(r"\bbut\b", _last_sentence(low))[-1])):
        add = MANY_MORE if _MANY_MORE.search(low) else DEFAULT_MORE
        return Edit("length", n_tracks=n + add, add=add)
    if (_QUESTION_START.search(low) or low.rstrip().endswith("?")) and not _POLITE_REQUEST.search(low):
        question = _which(text, low, tracks, parser) or _question(text, low, tracks)
        if question is not None:
            return question
    if _NO_SEASON.search(low):  # "no christmas songs please", "get rid of the holiday stuff"
        return Edit("exclude", topic="seasonal") if any(is_seasonal(t) for t in tracks) else \
            Edit("question", topic="seasonal")  # "No christmas in this one, k?": there is none to remove
    if rest := _all_but(text, low, tracks):  # "remove everything except the first 5", "keep X, replace the rest"
        return rest
    # "replace Biggie with Nas", "swap the 2Pac songs for Dr. Dre": the first artist's tracks go, the second's come
    into = _INTO.search(text) if _REPLACE.search(low) or _SWAP.search(low) else None
    swapped_out = _named_artist_tracks(text[:into.start()], tracks, parser) \
        if into and not find_positions(low, n, bare=True) else []
    if replacing := _REPLACE.search(low) or swapped_out:  # "replace track 3", "swap track 2 for something calmer"
        positions = find_superlatives(low, tracks) or find_positions(low, n, bare=True) or find_titles(text, tracks)
        theirs = swapped_out or (find_artist_tracks(text, tracks) or _named_artist_tracks(text, tracks, parser)
                                 if not positions and _ARTIST_SONG.search(low) else [])
        positions = positions or theirs  # "swap out the Madonna song", "replace the Biggie songs"
        if positions:
            features, labels = relative_moods(low, tracks, playlist.spec)
            # "replace the 4th song with something by Adele": hers; "replace Biggie with Nas": his, the name read
            # as after "more" (alone, "Nas" is too short to be sure of)
            coming = text[into.end():].strip(" .!?") if into else ""
            named = parser.analyse(f"more {coming}" if coming else text)
            if coming and named.found <= {"description"} and _unknown_words(coming, parser):
                return Edit("message", unknown_title=coming)  # "replace Biggie with Xyzzy Flurb"
            if missing := named.unknown_artists + named.unknown_references:
                return Edit("message", unknown_title=missing[0])
            # "swap out the Madonna song": another's, not hers; "... with something by Adele": Adele's
            gone = {artist_key(tracks[p].artist) for p in theirs}
            asked = [a for a in named.spec.seed_artists if artist_key(a) not in gone]
            songs = named.spec.seed_tracks if coming else []  # "replace track 3 with Juicy by Biggie"
            if coming and not songs and named.found <= {"description"} and not _SOME.match(coming):
                songs = named_songs(f"add {coming}", parser)  # "replace track 1 with Gasolina" chose "Destino"
            return Edit("replace", positions=positions, features=features, labels=labels, track_ids=songs,
                        parsed=replace(named, spec=named.spec.model_copy(update={"seed_artists": asked}))
                        if asked else None, about=coming,
                        qualifiers={} if asked or songs or not coming else _kind_said(named, bool(features)))
        if (verb := _REPLACE.search(low)) and not into and (absent := _absent_song(text[verb.end():], tracks, parser)):
            return absent  # "replace Bohemian Rhapsody" when it is not playing leaned to the words
    if into and not swapped_out and not find_positions(low, n, bare=True) and (
            gone := parser.analyse(text[:into.start()]).spec.seed_artists):
        # "replace the Drake songs with Future", "swap Drake for Future" with none of Drake's playing added more
        # like both, or asked which two tracks to swap: Future's come, and the lack is said
        coming = parser.analyse(f"more {text[into.end():].strip(' .!?')}")
        if coming.spec.seed_artists:
            return Edit("more_like", add=DEFAULT_MORE, parsed=coming, notices=[
                f"The playlist has no track by {', '.join(gone)} to replace."])
    if (m := _TRACK_TOO.search(low)) and (said := find_positions(low[:m.start()], n)) and tracks[said[0]].duration_ms:
        minutes = tracks[said[0]].duration_ms / 60_000  # its place goes to a track a minute shorter (or longer)
        longer = m.group("way") == "short"
        bound = Range(min=round(minutes + 1, 1)) if longer else Range(max=round(max(minutes - 1, 1.0), 1))
        return Edit("replace", positions=said[:1], qualifiers={"track_minutes": bound},
                    labels=[describe_range(TRACK_MINUTES, bound)])
    if _PANNED.search(low) and (panned := find_positions(low, n)):  # "track 3 is bad", "the last one sucks"
        return Edit("remove", positions=panned)
    if _PRAISED.search(low) and not _wants_more(low) and not _PRAISE_TURNS.search(low) and \
            (liked := find_positions(low, n)):
        return Edit("thanks", positions=liked[:1], topic=LIKED)  # "track 2 is my favorite" leaned to "favorite"
    if _SWAP.search(low) and not replacing:  # "swap out the sad songs" replaces them
        positions = find_positions(low, n, bare=True) or find_titles(text, tracks)
        if len(positions) == 1 and re.search(r"\b(?:with|and) the next\b", low):
            positions.append(positions[0] + 1)
        return Edit("swap", positions=positions[:2])
    # "i love travis scott, halsey, big sean can you mix it up?": mix them in, not only shuffle
    if (order := _reorder(low, tracks)) and not (_MIX_UP.search(low) and parser.analyse(text).spec.seed_artists):
        return order
    if _MOVE.search(low):
        move = _move(text, low, tracks)
        if move is not None:
            return move
    return _part_moved(low, playlist) or _placed_song(text, tracks, parser)


_INTO = re.compile(r"\s(?:with|for)\s", re.IGNORECASE)


def _fields_said(parsed: ParsedRequest, fields: frozenset[str]) -> dict[str, Any]:
    """The values of those `fields` the message set, the year range whole when either end was said."""
    said = parsed.found & fields
    if said & {"year_min", "year_max"}:
        said |= {"year_min", "year_max"}
    return {name: getattr(parsed.spec, name) for name in said}


def _kind_said(parsed: ParsedRequest, moved: bool) -> dict[str, Any]:
    """The spec fields a replacement's words set ("with some 80s rock": genre rock, the 1980s); the moods only when
    no move of the replaced track's own was said ("for something calmer" is calmer than it)."""
    return _fields_said(parsed, QUALIFIER_FIELDS - ({"features"} if moved else set()))


def _named_artist_tracks(part: str, tracks: list[Track], parser: RequestParser) -> list[int]:
    """Positions of the tracks by the artists `part` names, as the parser knows them ("Biggie", "tupac")."""
    spec = parser.analyse(part).spec
    keys = {artist_key(a) for a in [*spec.seed_artists, *spec.exclude_artists]}
    return [i for i, t in enumerate(tracks) if artist_key(t.artist) in keys]


# A part of the playlist: "the second half", "the beginning", "the last few songs"
_PART = re.compile(r"\bthe\s+(?:(?P<first_half>first half)|(?P<second_half>second half|last half|back half)|"
                   r"(?P<start>beginning|start|opening|first (?:part|few|couple)(?: (?:songs|tracks))?)|"
                   r"(?P<end>ending|end|last (?:part|few|couple)(?: (?:songs|tracks))?|final (?:part|stretch|few))|"
                   r"(?P<middle>middle))\b")


_TOO = r"(?:(?:way|a bit|a little|kind of|kinda|just|much)\s+)?too"  # "is a bit too slow"
# Tracks made otherwise by their places: "make the first three more energetic", "make track 2 calmer"
_MADE = re.compile(r"^\W*(?:(?:can|could|would) you\s+|please\s+|let'?s\s+)*make\s+(?P<head>.{1,40}?)\s+"
                   r"(?=(?:a (?:bit|little|lot|tad) |much |way |even )?(?:more|less|\w+er)\b)")
_TOO_AT = re.compile(rf"^\W*(?P<head>.{{1,40}}?)\s+(?:is|was|'s|are|were|feels?|seems?|sounds?)\s+{_TOO}\b")
_DRAGS = re.compile(r"\b(?:drags|is dragging|drags on)\b")


def _part_positions(m: re.Match[str], n: int) -> list[int]:
    third = max(3, n // 3)
    spans = {"first_half": (0, n // 2), "second_half": (n // 2, n), "start": (0, third), "end": (n - third, n),
             "middle": (n // 3, n - n // 3)}
    start, end = spans[next(name for name, said in m.groupdict().items() if said)]
    return list(range(max(start, 0), min(end, n)))


def _part_after(low: str, at: int, n: int) -> list[int]:
    """The positions of the part said right after `at` ("more like| the first half"), if one is."""
    m = _PART.match(low, at + 1) if low[at:at + 1] == " " else None
    return _part_positions(m, n) if m else []


def _part_moved(low: str, playlist: Playlist) -> Edit | None:
    """"the second half is too slow", "the first song is too slow", "make the first three more energetic": those
    tracks that are not past the move replaced by ones that are (it moved the whole playlist, or added tracks)."""
    tracks = playlist.tracks
    if (m := _PART.search(low) or _MADE.match(low) or _TOO_AT.match(low)) is None:
        return None
    if m.re is _PART:
        part = _part_positions(m, len(tracks))
    elif not (part := find_positions(m.group("head"), len(tracks), bare=True)):
        return None
    # "the middle part drags" is too slow; "the ending is weak" asks for other tracks there
    features, labels = relative_moods(_DRAGS.sub("is too slow", low), tracks, playlist.spec)
    if not features:
        return Edit("replace", positions=part) if m.re is _PART and _PANNED.search(low, m.end()) else None
    behind = [i for i in part if not all(r.contains(getattr(tracks[i], f)) for f, r in features.items())]
    return Edit("replace", positions=behind or part, features=features, labels=labels)


def _read_edit(text: str, low: str, playlist: Playlist, parser: RequestParser, praised: bool) -> Edit:
    """An edit by what the parser reads in the message: an exclusion, songs or artists added, then the rest."""
    tracks = playlist.tracks
    parsed = _without_conceded(text, parser.analyse(text), parser)
    if capped := set(parsed.spec.artist_caps):  # "no more than one Queen song": theirs thinned, not more of them
        seeds = [a for a in parsed.spec.seed_artists if a not in capped]
        return Edit("refine", parsed=replace(parsed, spec=parsed.spec.model_copy(update={"seed_artists": seeds}),
                                             found=parsed.found - (set() if seeds else {"seed_artists"})))
    if _fewer_years_said(low, parsed):
        if parsed.found <= {"description", "year_min", "year_max"}:  # "less 80s": thinned, not turned away
            return Edit("exclude", topic=FEWER_YEARS, parsed=parsed)
        parsed = _away_from_years(tracks, parsed)  # "less 80s and more upbeat": a new era of its own
    return (_exclusion(text, low, parsed, playlist, parser) or _named_addition(text, low, parsed, playlist, parser)
            or _kind_addition(text, low, parsed, playlist, parser)
            or _other_edit(text, low, parsed, playlist, parser, praised))


def _exclusion(text: str, low: str, parsed: ParsedRequest, playlist: Playlist, parser: RequestParser) -> Edit | None:
    """Tracks, artists or a genre turned down ("those by maroon 5 dont really fit", "no more Drake", "less X")."""
    tracks = playlist.tracks
    n = len(tracks)
    if misfit := _misfit(text, parsed, parser, tracks):  # "those by maroon 5 dont really fit the vibe"
        return misfit
    if _DISLIKES_ALL.search(low) and parsed.found <= {"description"}:  # "I didn't like any of those", "try again"
        return Edit("replace", positions=list(range(n)))
    # "We don't like country music."; not "... but not country for sure. Can you find more like that"
    if parsed.turned_down_absent and not parsed.found - {"description"} and not _ADD.search(low):
        return Edit("exclude", topic="absent genre", about=" or ".join(parsed.turned_down_absent))
    if (_REMOVE.search(low) and not _removal_verbs_titled(text)) or (
            parsed.spec.exclude_artists and _FEWER_WORD.search(low)):
        said, said_low, said_parsed = _said_in(text, low, _REMOVE_OR_FEWER, parser, parsed)
        removal = _removal(said, said_low, said_parsed, tracks)
        if removal is None and (verb := _REMOVE.search(said_low)):
            removal = _absent_song(said[verb.end():], tracks, parser)  # "remove Bohemian Rhapsody", not playing
        if removal is not None:
            # "not a big fan of blink 182. How about some songs from Bush?": the other sentences' addition too;
            # what they name and ask for is theirs, not the exclusion's
            rest = " ".join(c for c in _clauses(text) if not _REMOVE_OR_FEWER.search(normalize(c).replace("’", "'")))
            then = _classify(rest, playlist, parser) if _meaningful(rest) and rest != text else None
            removal.then = then if then is not None and then.kind in _ADDITIONS and not then.positions else None
            if then is not None and then.kind == "message" and then.unknown_title:  # "... and put in some Enya"
                removal.notices.append(f"I can't find \"{then.unknown_title}\" in the catalog, so none was added.")
            if removal.topic == FEWER and removal.then is None and said_parsed.spec.seed_artists:
                # "less Drake and more Future"
                named = said_parsed.spec.model_copy(update={"exclude_artists": []})
                removal.then = Edit("more_like", add=max(DEFAULT_MORE, min(len(named.seed_artists), MAX_NAMED_MORE)),
                                    parsed=replace(said_parsed, spec=named,
                                                   found=said_parsed.found - {"exclude_artists"}))
            if removal.kind == "exclude":  # "I'm not into blondie and more upbeats please."
                removal.features, removal.labels = relative_moods(
                    _without_names(said_low if removal.then else low, parsed), tracks, playlist.spec)
                if removal.then is not None and removal.parsed is not None:
                    removal.parsed = _exclusions_only(removal.parsed)
            return removal
    return None


def _absent_song(named: str, tracks: list[Track], parser: RequestParser) -> Edit | None:
    """Catalog songs named after a remove or replace verb that the playlist does not hold (no copy of them either):
    kept out from now on, and said so, as any song turned down that is not playing; else None."""
    songs = named_songs(f"add {named}", parser)
    if not songs or set(songs) & {t.track_id for t in tracks} or find_titles(named, tracks):
        return None
    spec = PlaylistSpec(exclude_tracks=songs)
    return Edit("exclude", parsed=ParsedRequest(spec, frozenset({"exclude_tracks"}), [("exclude_tracks", named)],
                                                named))


def _removal_verbs_titled(text: str) -> bool:
    """Whether every removal verb of the message opens a run of capitalised words after its add verb: a title's
    ("add Lose Yourself by Eminem" took Eminem out; "add some Drake and Drop the last one" still drops)."""
    add = _ADD_SONG.search(text)
    verbs = list(_REMOVE.finditer(text.lower()))
    return add is not None and bool(verbs) and all(
        m.start() > add.end() and re.match(r"[A-Z]\w*\s+[A-Z0-9]", text[m.start():]) for m in verbs)


def _named_addition(text: str, low: str, parsed: ParsedRequest, playlist: Playlist,
                    parser: RequestParser) -> Edit | None:
    """Songs asked for by title ("add Titanium by David Guetta"), or said missing."""
    tracks = playlist.tracks
    more_like = _MORE_LIKE.search(low)
    if _ADD_SONG.search(low) and parsed.spec.seed_artists and not more_like:
        # "Add Cranes in the Sky by Solange, and Kiss from a Rose by Seal": the songs it has join, the rest said
        found, missing = _titles_by(text, parser)
        notices = [f"{UNKNOWN_SONG} {', '.join(missing)}"] if missing else []
        if found:
            # "add Titanium by David Guetta, add songs from Juice WRLD and Rick Ross": their songs too
            asked = ". ".join(_artists_asked(text))
            more = parser.analyse(asked)
            then = Edit("more_like", add=max(DEFAULT_MORE, min(len(more.spec.seed_artists), MAX_NAMED_MORE)),
                        parsed=more, qualifiers=_qualifiers(asked, parser)) \
                if asked and more.spec.seed_artists and not more.spec.others_only else None
            return Edit("add_songs", track_ids=found, parsed=parsed, notices=notices, then=then)
        if missing:  # "add Purple Rain by Prince": more by Prince, and the song said missing
            return Edit("more_like", add=_added_count(low) or DEFAULT_MORE, parsed=parsed, notices=notices)
    if not more_like and _ADD_SONG.search(low) and not parsed.spec.seed_artists:
        # "add Santa Baby by Eartha Kitt": that song itself, not songs like it; a title's words may spell a mood
        # ("How about adding Running down a dream?": a song the catalog lacks, said, not a new running playlist)
        title = _added_title(text, parsed)
        songs = parsed.spec.seed_tracks or (named_songs(text, parser) if parsed.found <= {"description"} or title
                                            else [])
        if songs:
            return Edit("add_songs", track_ids=list(songs), parsed=parsed)
        found, missing = _listed_songs(text, parser)
        if found:  # 'add "all girls are the same, Ring, sad, anxiety, legends never die"': those it has
            lacking = ", ".join(f'"{name}"' for name in missing)
            return Edit("add_songs", track_ids=found, parsed=parsed,
                        notices=[f"{UNKNOWN_SONG} {lacking}"] if missing else [])
        if title:
            return Edit("message", unknown_title=title)
    if not (parsed.spec.seed_tracks or parsed.spec.seed_artists) and (asked := _ASKED_SONG.search(text)) and \
            not find_titles(asked.group("title"), tracks):  # "Can I get the song can't keep johhny down?"
        return Edit("message", unknown_title=asked.group("title"))
    return None


def _kind_addition(text: str, low: str, parsed: ParsedRequest, playlist: Playlist,
                   parser: RequestParser) -> Edit | None:
    """Tracks added by artist ("more of his songs", "some Drake") or of a kind ("add some 80s rock"), or more like
    tracks of the playlist ("more like track 3")."""
    tracks = playlist.tracks
    n = len(tracks)
    more_like = _MORE_LIKE.search(low)
    if not (parsed.spec.seed_artists or parsed.spec.seed_tracks or parsed.unknown_artists or
            parsed.unknown_references) and \
            _THEIR_ARTISTS.search(low) and not _unknown_name(text, parser) and "max_per_artist" not in parsed.found:
        # "Could you add a few more songs from those artists?": more by the playlist's own artists; "I love
        # Shasha, can we add some songs from them?" names someone the catalog lacks (said below); "too many by the
        # same artist" caps them
        return Edit("more_like", add=_added_count(low) or DEFAULT_MORE, topic=PLAYLIST_ARTISTS)
    if not parsed.spec.seed_artists and _HIS.search(low) and (meant := _meant_artist(text, low, playlist, parser)):
        # "He was the king of pop, I like him let's add more of his songs", "lets play more of his hits"
        said = {name: getattr(parsed.spec, name) for name in parsed.found & QUALIFIER_FIELDS}
        return Edit("more_like", add=_added_count(low) or DEFAULT_MORE, qualifiers=said, parsed=replace(
            parsed, spec=parsed.spec.model_copy(update={"seed_artists": [meant], "seed_tracks": []}),
            found=parsed.found | {"seed_artists"}))
    adding = None if parsed.spec.seed_tracks or parsed.spec.seed_artists else _ADD_START.match(low)
    if adding and more_like and (not parsed.found & STYLE_FIELDS or find_positions(_without_names(low, parsed), n)
                                 or find_titles(text, tracks)):
        adding = None  # "add more like track 3"; not "add some more slow jams similar to what's on the list"
    if adding and _adds_tracks(low, adding.group(1), parsed):  # "add a few 80s rock songs", "add some jazz"
        # "Can we add some Fireboy songs?": no such artist here; "add some r&b from Johnne Drille" still adds r&b
        rest = adding.group(1)
        # a name of two words is said though a word of it is the catalog's ("Florence Welch"); one word must be
        # no word the catalog or everyday English holds ("add some Italian songs" adds)
        name = next(iter(parsed.unknown_artists + parsed.unknown_references), None) or _unknown_name(text, parser)
        if name and (" " in name.strip() or _unknown_words(name, parser)):
            if not parsed.found & STYLE_FIELDS:
                return Edit("message", unknown_title=name)
            rest = re.sub(rf"(?:\s+(?:by|from|of))?\s*\b{re.escape(normalize(name))}\b", "", rest)
        return _add_style(text, low, rest, parsed, parser)
    if more_like or (parsed.spec.seed_artists and (_ADD.search(low) or _asks_for_named(low, tracks, parsed))):
        # not the "third" of "Third Eye Blind": the names read are no positions
        # "some Lil Baby too" names no track "Baby (Lil Baby feat. DaBaby)" of the playlist
        positions = (_part_after(low, more_like.end(), n) if more_like else []) or \
            find_positions(_without_names(low, parsed), n) or \
            find_titles(_without_names(text, parsed, _ARTIST_FIELDS), tracks)  # "more like the first half": a part
        named = 0 if positions else len(parsed.spec.seed_artists)
        add = _added_count(low) or max(DEFAULT_MORE, min(named, MAX_NAMED_MORE))
        if positions or parsed.spec.seed_artists or parsed.spec.seed_tracks:
            qualifiers = {} if positions else _qualifiers(text, parser)
            # "more like the third song but calmer": the added tracks calmer than the playlist; not "happier" for
            # "Do you have Happier Than Ever by Kelly Clarkson": a title's words
            untitled = normalize(_TITLE_BEFORE_BY.sub(" ", text)).replace("’", "'")
            moved, labels = relative_moods(_without_names(untitled, parsed), tracks, playlist.spec)
            said = qualifiers.get("features", {})  # "What upbeat music do you have by X?": the words said bind
            moved = {name: r for name, r in moved.items() if name not in said}
            labels = labels if moved else []
            if moved:
                qualifiers["features"] = {**playlist.spec.features, **said, **moved}
            # "more like Despacito", a playlist track's title, names no artist the catalog lacks
            titled = {title_key(tracks[p].title) for p in positions if 0 <= p < n}
            lacking = replace(parsed, unknown_references=[r for r in parsed.unknown_references
                                                          if title_key(r) not in titled])
            more = Edit("more_like", positions=positions, add=add, parsed=parsed, qualifiers=qualifiers,
                        labels=labels, notices=_lacking(lacking),
                        to=0 if _ADDED_FIRST.search(low) else None)  # "add some Nas at the beginning"
            if positions or not parsed.found & _EXCLUSION_FIELDS:
                return more
            # "Definitely not any Michael Jackson! I'd prefer Elton John": out with the one, then the other
            return Edit("exclude", parsed=_exclusions_only(parsed), then=more)
    return None


def _other_edit(text: str, low: str, parsed: ParsedRequest, playlist: Playlist, parser: RequestParser,
                praised: bool) -> Edit:
    """The rest: length, names alone, a new subject, an era, a new request, a refinement or a steer."""
    tracks = playlist.tracks
    n = len(tracks)
    more_like = _MORE_LIKE.search(low)
    length = _track_lengths_moved(low, tracks, parsed) or _length(low, tracks, playlist.spec)
    if length is not None:
        return length
    names = parsed.spec.seed_artists or parsed.spec.seed_tracks
    plain = not parsed.found & (REFINE_FIELDS | {"about", "n_tracks", "minutes"})
    if names and plain and not _fresh(low) and not _RELATIVE_ANY.search(_without_names(low, parsed)):
        # artists named in a conversation join the playlist being built ("I like Roxette", "can I get some from
        # Doja Cat?", "Taylor Swift, Miley Cyrus"), as a song named alone does ("how about too young by post
        # malone"); "a new playlist of Drake", "just Drake" start another one; "Stan by Eminem is too slow" is
        # a complaint, not a request for the song
        if not parsed.spec.seed_artists and not more_like:
            return Edit("add_songs", track_ids=list(parsed.spec.seed_tracks), parsed=parsed)
        return Edit("more_like", add=max(DEFAULT_MORE, len(names)), parsed=parsed,
                    notices=_lacking(parsed))
    m = _BY_UNKNOWN.search(low) if not names and plain and _ASKS_FOR.search(low) else None
    if m and text[m.start("name")].isupper():  # "Got any songs by Kenny G?": not in the catalog
        return Edit("message", unknown_title=text[m.start("name"):m.end("name")])
    if not names and plain and _MORE_OF_THESE.search(low) and not _fresh(low):
        # "Please keep them coming. More from Dierks Bentley": more of the same, and the name said missing
        name = _unknown_name(text, parser)
        return Edit("length", n_tracks=n + DEFAULT_MORE, add=DEFAULT_MORE,
                    notices=[f"{UNKNOWN_ARTIST} {name}: {FOLLOWS_THE_REST}"] if name else [])
    m = _SUBJECT_CHANGE.match(low)
    if m and (m.group("lead") or m.group("verb") or m.group("tail")) and \
            (subject := parser.analyse(f"songs about {m.group('topic')}")).spec.about:
        return Edit("subject", about=subject.spec.about, parsed=subject)
    fresh = _fresh(low)
    if not fresh and (era := _relative_era(low, tracks, parsed)):  # "older", "I want older songs please"
        return era
    if _NEW_MARKERS.search(low) and not _RELATIVE_ANY.search(low) and not (
            parsed.found <= _SHAPE_FIELDS and "max_per_artist" in parsed.found and not fresh):
        # "how about some Ricky Nelson?"; "I like artist like Snarky Puppy": "other than" names nobody here
        if not names and parsed.found - {"others_only"} <= {"description"} and not fresh:
            return _understood_nothing(text, parser, parsed, n)
        if praised and names and not fresh and parsed.spec.seed_artists:  # "These are perfect! How about Eric B. &
            return Edit("more_like", add=max(DEFAULT_MORE, len(names)), parsed=parsed)  # Rakim, A Tribe Called Quest?"
        if (not fresh and _SUGGESTS.search(low) and parsed.found & {"features", "year_min", "year_max"}
                and parsed.found <= {"description", "features", "year_min", "year_max"}
                and not _addition(text, low, parsed, praised, parser)):
            # "Ok nice, how about something groovy": this playlist, groovier; "what about the 2000s": of the 2000s;
            # "anything else ... cheerful": more too
            return Edit("refine", parsed=parsed, add=DEFAULT_MORE if _wants_more(low) else None)
        return _addition(text, low, parsed, praised, parser) or Edit("new", parsed=parsed)
    if era := _relative_era(low, tracks, parsed):  # "only older songs"
        return era
    if parsed.spec.about and _ASKED_SUBJECT.match(low) and (asked := _addition(text, low, parsed, praised, parser)):
        return asked  # "any songs about heartbreak?": its songs join (its mood moved the whole playlist)
    features, labels = relative_moods(low, tracks, playlist.spec)
    found = parsed.found & REFINE_FIELDS
    if found == {"exclude_artists"} and not features:  # "no more Drake": an exclusion, said when none is playing
        return Edit("exclude", parsed=parsed)
    if features or found:
        # "please more R and B", "what else do you recommend for the gym?": tracks wanted beyond the change
        add = DEFAULT_MORE if not features and _wants_more(low) else None
        return Edit("refine", features=features, labels=labels, parsed=parsed, add=add)
    if m := _NEGATIVE_START.match(low):  # "no more Drake" with no Drake in the catalog: say so, change nothing
        rest = text[m.end():].strip(" .!?\"'")
        # "No I don't really like the sound of those songs much", "Not both. share some more variation": no name
        # nor "suggestionyet...I am waiting", "really, but some symphony will do"
        named = rest and len(rest.split()) <= MAX_NAME_WORDS and not re.search(r"[.!?;]\s|[.!?;]{2}|,", rest) and \
            rest.split()[0].lower() not in _NOT_A_NAME_START
        return Edit("message", unknown_title=rest if named else "")
    names = parsed.spec.seed_artists or parsed.spec.seed_tracks
    if not names and (m := _MORE_WORDS.match(low)) and _words_of_substance(m.group(1)):  # "only girl groups"
        about = m.group(1).strip(" .!?\"'")
        if _unknown_words(point := _the_point(text[m.start(1):m.end(1)]), parser):  # "More enya please"
            return Edit("message", unknown_title=point)
        if (name := _unknown_name(text, parser)) and name[:1].isupper():  # "more Ed Wynn please"; "more west
            return Edit("message", unknown_title=name)  # coast" still leans
        return Edit("steer", about=about, parsed=parsed)
    if not names and parsed.found - {"others_only"} <= {"description"} and not _fresh(low):
        return _understood_nothing(text, parser, parsed, n)
    return _addition(text, low, parsed, praised, parser) or Edit("new", parsed=parsed)


# A reply that agrees and asks nothing: "Absolutely!"
_AGREED = re.compile(r"\W*(?:absolutely|definitely|totally|of course|sure thing|for sure)\W*")
# Words that ask a refinement for more tracks too ("some more love songs"; "more upbeat" moves a mood instead)
_WANTS_MORE = re.compile(r"\b(?:more(?! than\b)|another|others?|else|as well|also|additions?|add)\b")
_NO_MORE = re.compile(r"\b(?:no|not any|nothing|any) more\b")


def _wants_more(low: str) -> bool:
    """Whether a message wants tracks beyond its change: "what else do you recommend"; not "no more Drake"."""
    return bool(_WANTS_MORE.search(_NO_MORE.sub(" ", low)))

# Words that make a request of words the parser does not read an addition rather than a steer
_ALSO = re.compile(r"\b(?:too|as well|also|in there|in the mix|to (?:the|my|this|our) (?:playlist|list|mix))\W*$")
# Words that make a request an addition to the playlist: "can i get a bit of hip hop in there?"
_ADDITION = re.compile(r"\b(?:more(?! than\b)|in there|as well|too|also|"
                       r"to (?:the|my|this|our) (?:playlist|list|mix)|"
                       # a count of a few or what they are for: "Can I get a song or two about winning to top off
                       # the list?" leaned the whole playlist to its words
                       r"(?:a|one) (?:song|track) or two|a couple (?:of )?(?:songs|tracks)|"
                       r"(?:top|round) (?:it |this |things |the list |the playlist )?(?:off|out|up))\b")


# Edits that add tracks and keep the rest: a message may ask one after another edit
_ADDITIONS = frozenset({"more_like", "add_songs", "add_style"})
# What a request for named artists may also say of the tracks it adds ("some upbeat Backstreet Boys songs")
QUALIFIER_FIELDS = frozenset({"genres", "year_min", "year_max", "features", "popularity"})
_ADDED = re.compile(r"\b(?:added|thrown in)\b")


def _lacking(parsed: ParsedRequest) -> list[str]:
    """The notice for names the catalog lacks beside those it has ("some by The Judds and Brooks and Dunn"):
    before, the ones it has were added and the others dropped without a word."""
    names = [*parsed.unknown_artists, *parsed.unknown_references]
    return [f"{UNKNOWN_ARTIST} {', '.join(dict.fromkeys(names))}"] if names else []


def _meant_artist(text: str, low: str, playlist: Playlist, parser: RequestParser) -> str | None:
    """Whom "his" or "her" means: the artist of the playlist's song the message names ("I love Let's Get Crazy.
    Any more of his songs?"), else one the message names in passing ("Ozzy is the undisputed king! Got more of
    him?", "i have taken a liking to Bruno mass, could you add some of his"), else the artist named last in the
    conversation, unless the message names one the catalog lacks."""
    if titles := find_titles(text, playlist.tracks):
        return playlist.tracks[titles[0]].artist
    if named := _named_in_passing(text, parser):
        return named
    if _LIKED_UNKNOWN.search(low) or not playlist.spec.seed_artists:
        return None
    return playlist.spec.seed_artists[-1]


_TITLE_BEFORE_BY = re.compile(r"(?:\b[A-Z][\w'’]*\s+){1,6}by\s")


def _named_in_passing(text: str, parser: RequestParser) -> str | None:
    """A catalog artist named where the request parser looks for no name: a capitalised name, misspelt or not,
    with the lowercase word after it ("Bruno mass"), or a first name no everyday word spells that begins one
    artist's name only ("Ozzy")."""
    vocab = parser.vocab
    for m in _CAPITALISED_RUN.finditer(text):
        name = m.group(0).rstrip(".'’")
        after = re.match(r"\s+([a-z][a-z'-]+)", text[m.end():])
        for said in ([f"{name} {after.group(1)}"] if after else []) + [name]:
            key = name_key(said)
            if " " in key and not vocab.is_common(key) and (artist := vocab.resolve_artist(key)):
                return artist
        key = name_key(name)
        if " " not in key and key not in model_words() and not vocab.is_common(key) and \
                (number := vocab.first_name_artist(key)) is not None:
            return vocab.artist_names[number]
    return None


def _asks_for_named(low: str, tracks: list[Track], parsed: ParsedRequest) -> bool:
    """A request for the named artists' tracks of a kind, to join the playlist: "What upbeat music do you have by
    Kelly Clarkson?", "Can I get a few of the upbeat Backstreet Boys songs added?". Not a fresh start ("a new
    playlist of early Drake"), nor a turn away ("no rap, more Drake") or a move of the whole ("older Prince"): they
    say more than a kind of track."""
    said = parsed.found - {"description", "seed_artists", "seed_tracks", "n_tracks"}
    return bool(said) and said <= QUALIFIER_FIELDS and not parsed.spec.others_only and \
        bool(_ASKS_FOR.search(low) or _ADDED.search(low)) and not _fresh(low) and \
        _relative_era(low, tracks, parsed) is None


def _qualifiers(text: str, parser: RequestParser) -> dict[str, Any]:
    """The spec fields said in the sentences that name artists, for the tracks added by them: "What upbeat music
    do you have by Kelly Clarkson?" wants her upbeat songs; a sentence without a name ("Those were more 80s hip
    hop.") binds nothing. Years and moods said replace the playlist's whole range."""
    out: dict[str, Any] = {}
    for sentence in _SENTENCE.finditer(text if text.rstrip()[-1:] in ".!?;" else text + "."):
        said = parser.analyse(sentence.group(0))
        if not said.spec.seed_artists or said.spec.others_only:
            continue
        out.update(_fields_said(said, QUALIFIER_FIELDS))
    return out


def _addition(text: str, low: str, parsed: ParsedRequest, praised: bool, parser: RequestParser) -> Edit | None:
    """A request of another kind of music, said right after praise of this playlist or as an addition ("These
    are great! How about some pop?", "can i get a bit of hip hop in there?"): its tracks join the playlist, which
    CPCD's listeners build over a whole dialog. A fresh start ("a new playlist of ...", "just ...") or a request
    that names artists (`more_like`, before) or turns away from some ("move away from the rock genre") is not
    one."""
    spec = parsed.spec
    asked = _ASKED_SUBJECT.match(low) if spec.about else None
    if (_fresh(low) or spec.seed_artists or spec.seed_tracks or spec.exclude_artists or spec.exclude_genres
            or not (praised or _ADDITION.search(low) or asked)):
        return None
    m = _NEW_MARKERS.search(low) or asked
    rest = low[m.end():] if m else low
    return _add_style(text, low, rest, parsed, parser) if _adds_tracks(low, rest, parsed) else None


# A subject asked after in the middle of a chat: "any songs about cars?" started a new playlist
_ASKED_SUBJECT = re.compile(r"\W*(?:(?:(?:do|have) (?:you|we) (?:have|got)|(?:you )?got|are there|is there)"
                            r"(?: any)?|any)\b")


# "they aren't new wave, unfortunately": what the playlist lacks, which the listener wants
# Regard that wishes nothing, conceded before "but": "I respect X but ...", "I can appreciate X, but ..."
_CONCEDED = re.compile(r"(?i)(?:^|(?<=[.!?;]))\s*i\s+(?:(?:really|do|truly|totally|can)\s+)?(?:have\s+(?:a lot of\s+|"
                       r"much\s+|great\s+|so much\s+)?respect\s+for|respect|appreciate|admire|don'?t\s+mind)\b"
                       r"[^.!?;]*?\bbut\b\s*")
_NOT_WHAT_THEY_ARE = re.compile(r"\b(?:they|these|those|it|this)(?:\s+(?:songs?|tracks?|ones))?\s+(?:aren'?t|isn'?t|"
                                r"weren'?t|wasn'?t|are not|is not|were not|was not)\s+(?:really\s+|quite\s+|"
                                r"exactly\s+|all\s+|very\s+)?", re.IGNORECASE)


def _wished(text: str, parser: RequestParser) -> str:
    """`text` without the "they aren't" before a genre or mood the listener finds missing: "they aren't new
    wave" asks for new wave; read as a negation it threw every new wave track out."""
    plain = text.replace("’", "'")

    def keep(m: re.Match[str]) -> str:
        said = parser.analyse(plain[m.end():m.end() + 40].split(",")[0]).found
        # "it isnt 90s hip hop without snoop dogg": the denial turns "without" into a wish (the parser reads it)
        wish = re.match(r"[^.!?;]*\bwithout\b", plain[m.end():], re.IGNORECASE)
        return "" if said & {"genres", "features"} and not wish else m.group(0)
    return _NOT_WHAT_THEY_ARE.sub(keep, plain)


def _fresh(low: str) -> bool:
    """Whether a message starts afresh ("a playlist of sad songs", "just Drake"); "this would make a very good
    playlist" praises the one being built, "These selections are just perfect!" and "you got just what i like"
    praise it too."""
    for m in _FRESH.finditer(low):
        words = m.group(0).split()
        after = re.match(r"\W*([\w']+)", low[m.end():])
        if _QUALITY_PRAISE.intersection(words) or (words[-1] in ("just", "only") and after and (
                after.group(1) in _PRAISE or after.group(1) in _NOT_FRESH_AFTER)):
            continue
        return True
    return False


# Praise in a phrase of other words, and what marks a request beside it
_PRAISE_PHRASE = re.compile(r"\b(?:just what i (?:like|wanted|needed|was looking for)|you did (?:good|great|well)|"
                            r"good (?:job|work|selections?|choices?|picks?)|"
                            r"(?:these|those|they|selections) are (?:\w+ )?"
                            r"(?:perfect|great|good|awesome|amazing|nice|excellent|wonderful))\b")
_REQUEST_MARK = re.compile(r"\?|\b(?:can|could|would|please|add|more|give|play|show|need|let'?s|how about|what about|"
                           r"but|instead|less|fewer|remove|replace)\b")
# Words after "just" / "only" that go on a sentence, not a request: "just what i like", "only seeing one song"
_NOT_FRESH_AFTER = frozenset("what thinking wanted want like love loving the so too as a about started heard got did "
                             "need seeing how one been listened listening getting wondering checking "
                             "available".split())


def _last_sentence(low: str) -> str:
    """The message's last sentence ("All are awsome. You know my taste. Some more please." -> "some more please.")."""
    sentences = [m.group(0) for m in _SENTENCE.finditer(low + ("" if low.rstrip()[-1:] in ".!?;" else "."))]
    return sentences[-1].strip() if sentences else low


def _suggested(text: str, parser: RequestParser) -> Edit | None:
    """A song suggested by name ("Radar Love would be perfect") joins the playlist; a name the catalog lacks
    ("Randy Travis would top it all off") is said. An artist it has is left to the readers of artists."""
    if not (m := _WOULD_FIT.match(text)):
        return None
    title = m.group("title").strip(" ,.!?\"'")
    if songs := named_songs(f"add {title}", parser):
        return Edit("add_songs", track_ids=songs, parsed=parser.analyse(text))
    said = parser.analyse(title)
    # three capitalised words name a title even when each is common ("The Highway Don't Care")
    common = parser.vocab.is_common(name_key(title)) and len(title.split()) < 3
    if _NAME_SUBJECT.fullmatch(title) and not common and said.found <= {"description"} and \
            not parser.vocab.resolve_artist(name_key(title)):
        return Edit("message", unknown_title=title)
    return None


def _understood_nothing(text: str, parser: RequestParser, parsed: ParsedRequest, n: int) -> Edit:
    """A follow-up that sets nothing the parser reads keeps the playlist: a new one built from nothing would
    throw away every constraint for the catalog's most popular tracks. A name the catalog lacks ("How about
    some Ricky Nelson?") is said; praise is thanked ("I think this is great. Thanks"); a request of other words
    steers the playlist ("i like classicals", "enya"), one of no words but "similar" or "other" adds more of the
    same ("Any similar artist you'd recommend?"); anything else changes nothing ("That is 15!")."""
    low = normalize(text)
    name = next(iter(parsed.unknown_artists + parsed.unknown_references + parsed.unknown_songs), None) or \
        _unknown_name(text, parser)
    if name:
        return Edit("message", unknown_title=name)
    said = [w for w in re.findall(r"[a-z0-9]+", _PRAISE_ASIDE.sub(" ", _NOT_BAD.sub("good", low)))
            if not _INTERJECTION.fullmatch(w)]
    # "blues would b lovely", "a little jazz music won't be bad": a genre the catalog lacks, wished for, asks
    asks = bool(_ASKS_FOR.search(low) or _ASKING_WORDS.intersection(said) or parser.vocab.absent_genres(text))
    if not asks and _PRAISE.intersection(said) and not _PRAISE_NEGATED.search(low):  # "they aren't good"
        return Edit("thanks")
    if not _words_of_substance(text) or not (asks or len(said) <= 3):
        return Edit("message")
    if _PRAISE_PHRASE.search(low) and not _REQUEST_MARK.search(low):  # "you got just what i like, you did good
        return Edit("thanks")  # with the selections"; "These selections are just perfect! All songs I know and love"
    words = _the_point(text).split()
    if not words:  # "Any similar artist you'd recommend?": more of the same; "lets go": nothing to do
        if _MORE_OF_THE_SAME.search(low):
            return Edit("length", n_tracks=n + DEFAULT_MORE, add=DEFAULT_MORE)
        return Edit("message")
    if _unknown_words(" ".join(words), parser):  # "i would like to hear more candlebox"
        return Edit("message", unknown_title=" ".join(words))
    if _REMOVE.search(low):  # "I don't like the heavy guitar": what is turned down is never leaned to
        kept = [c for c in re.findall(r"[^.!?;]+[.!?;]*", text) if not _REMOVE.search(normalize(c))]
        words = _the_point(" ".join(kept)).split()
        if not words:
            return Edit("message", topic="removal")
    if _whole_unknown_name(text, parser):  # "Tatiana Mannaois", "kizz daniel": steered, they brought anyone
        return Edit("message", unknown_title=text.strip(" .!?\"'"))
    if _ALSO.search(low):  # "How about some female artists with vocals too?": they join, none is replaced
        return Edit("add_style", add=DEFAULT_MORE, about=" ".join(words)[:60], parsed=parsed)
    return Edit("steer", about=" ".join(words)[:60], parsed=parsed, notices=catalog_gap_notices(text, parser.vocab))


def _whole_unknown_name(text: str, parser: RequestParser) -> bool:
    """Whether the whole message is a name of two to four words the catalog lacks: no word that only asks, and
    one that no catalog text nor English holds ("Tatiana Mannaois", "kizz daniel"; not "Indian Flute")."""
    whole = text.strip(" .!?\"'")
    key = name_key(whole)
    if not 2 <= len(key.split()) <= 4 or parser.vocab.is_common(key) or _the_point(whole).lower() != whole.lower():
        return False
    return any(w not in parser.vocab.words and w not in model_words() for w in key.split())


def _unknown_words(words: str, parser: RequestParser) -> bool:
    """Whether none of `words` is the catalog's nor an everyday word: a name the catalog lacks ("enya",
    "candlebox"), said rather than leaned to; "italian" or "horns" still steer, by what the words mean. Only
    Latin letters are judged: the everyday words are English ones, so "أغاني هادئة" still steers."""
    return (bool(words.strip()) and normalize(words).isascii() and not parser.vocab.knows_any(words)
            and not any(w in model_words() for w in word_forms(words)))


def _written_as_a_name(name: str, parser: RequestParser) -> bool:
    """Whether words of English are written as a name the catalog lacks: two or more, each capitalised (a number
    may follow the first: "Zero 7"), none a style, and no song's title ("some tunes by older generations like Bing
    Crosby"; not "some Pop Holiday favorites", "Bye Bye Baby")."""
    words = [w for w in name.split() if w.lower() not in ("and", "of", "the", "&")]
    return (len(words) >= 2 and words[0][:1].isupper() and words[0].isalpha()
            and all(w[:1].isupper() and w.isalpha() or w.isdigit() for w in words[1:])
            and not any(w.lower() in parser.vocab.genre_phrases or w.lower() in parser.vocab.mood_phrases
                        or genres_named(w.lower()) for w in words)
            and parser.vocab.match_title(name) is None)


# "not bad", "won't be bad": praise, never what to lean to
_NOT_BAD = re.compile(r"\b(?:not|won'?t|wouldn'?t|isn'?t|ain'?t|can'?t) (?:be )?(?:too |so |that )?bad\b", re.IGNORECASE)


def _the_point(text: str) -> str:
    """The words a steer would lean to: not "please", "songs", "you're", nor a long one typed amiss ("sugesstions")."""
    text = _NOT_BAD.sub(" ", text.replace("’", "'"))  # praise
    return " ".join(w for w in re.findall(r"[\w'-]+", text)
                    if w.lower() not in _NOT_THE_POINT and not _CONTRACTED.search(w.lower())
                    and not _INTERJECTION.fullmatch(w.lower())
                    and not (len(w) >= MIN_FUZZY_TITLE and any(fuzz.ratio(w.lower(), word) >= TITLE_FUZZY_CUTOFF
                                                               for word in _LONG_NOT_THE_POINT)))


# Asking words that ask nothing: "I love these vibes", "I didn't know some of these", "makes me want to sing",
# "Those were some good recommendations"
_PRAISE_ASIDE = re.compile(r"\b(?:love|like|liking|enjoy(?:ing)?|dig)(?= (?:these|those|them|it|this|the (?:playlist|"
                           r"songs|mix|picks|vibes?))\b)|\bsome of (?:these|those|them)\b|\bmakes? me want to\b|"
                           r"\b(?:are|were|is|was) (?:some|all)\b")
_KIND_NOUNS = frozenset("songs song music band bands artists artist singers tracks hits tunes stuff".split())
_ASKING_WORDS = frozenset("add play find give show need want like love prefer more some any try hear listen include "
                          "suggest recommend looking incorporate".split())
# Words a steer leaves out of what it leans to: "can I get some songs with horns?" leans to "horns"
_NOT_THE_POINT = STOPWORDS | _ASKING_WORDS | _PRAISE | _KIND_NOUNS | frozenset(
    "can could would will do does did have has had get got we us they them he him she her his their our it's that's "
    "i'd i'll i've lets let's just also too maybe perhaps lastly think how about what which who is are was were been "
    "not no either way most there here one these those was anymore any see look ask help always don't dont if "
    "additional options option finish off wrap round out similar other match list recommend you'd lots lot last go "
    "everything best else surprises surprise ideas gems why hmm oh hey gotcha suggestions recommendations wait "
    "another then end thinking am start question style couple know all though although mix well something anything "
    "got little bit b".split())  # "a little jazz music", "blues would b lovely"
_LONG_NOT_THE_POINT = [w for w in _NOT_THE_POINT if len(w) >= MIN_FUZZY_TITLE]
_INTERJECTION = re.compile(r"o+h+|o{2,}|a+h+|h+m+|u+m+|u+h+|w+o+w+|y+a+y+|o+o+h+|a+w+|e+h+|h+a+(?:h+a+)+")
# "you're", "didn't", "thats": how a sentence goes, never what to lean to
_CONTRACTED = re.compile(r"(?:n't|'re|'m|'ve|'ll|'d|'s)$|^(?:thats|im|ive|youre|dont|didnt|doesnt|cant|wont|idont)$")
_MORE_OF_THE_SAME = re.compile(r"\b(?:similar|other|another|recommend|suggest|any more\b)")
# "Got anymore Blake Shelton?" asks for more; "I don't like it anymore" does not
_ANYMORE = re.compile(r"\b(any)(more)\b", re.IGNORECASE)
_NO_LONGER = re.compile(r"\b(?:not|no|never|don'?t|doesn'?t|didn'?t|can'?t|won'?t|isn'?t)\b[^.!?]*\banymore\b")
# "got any more", "done that, add more now please", "please add some suggestions": more of the same
_ONLY_MORE = re.compile(r"^\W*(?:(?:ok|okay|yes|yeah|thanks|thank you|please|so|and|now|then|can|could|would|you|we|"
                        r"great|nice|cool|awesome|perfect|good|like|these|them|those|lot|bit|couple|"
                        r"i|u|do|done|that|have|get|got|give|send|me|us|show|any|a|few|add|how|what|about|maybe|"
                        r"perhaps|just|lets|let's|throw in|some|want|need|i'd|love|is|are|there|to)\W+)*"
                        r"(?:more|some (?:more|other )?(?:suggestions?|recommendations?)|other (?:suggestions?|"
                        r"recommendations?)|continue|keep (?:it )?going|go on|carry on|"
                        r"(?:else )?(?:would|could|do) you (?:add|suggest|recommend))"
                        r"(?:\W+(?:please|now|suggestions?|suggessions|recommendations?|songs?|"
                        r"tracks?|music|options|ideas|of them|of these|of those|too|as well))*\W*$")
# How a sentence, not a name, goes on after "no" / "not": "No I don't really like the sound of those"
_NOT_A_NAME_START = frozenset("i i'm im we you it it's its that this these those they them both all any".split())
_CAPITALISED_RUN = re.compile(r"(?<![\w'’])[A-Z0-9][\w'’.&-]*"
                              r"(?:\s+(?:(?:of|the|and|n|&)\s+)?[A-Z][\w'’.&-]*|\s+\d+\b){0,4}")  # "Zero 7", "Sum 41"
# Two or three lowercase words ending the message after "from", "by", "about"...: a name typed in lowercase; one
# word only after "by" (elsewhere as often a sound: "how about piano", "more variety")
_NAME_END_CUES = r"(?:from|by|add|some|of|about|more|(?:(?<=up )|(?<=off )|(?<=out ))with)"
_NAME_END_WORD = rf"(?!{_NAME_END_CUES}\b)[a-z][a-z'.-]+"
_LOWERCASE_NAME_END = re.compile(rf"\b(?P<cue>{_NAME_END_CUES})\s+(?!the\b)"
                                 rf"(?P<name>{_NAME_END_WORD}(?:\s+{_NAME_END_WORD}){{0,2}}?)"
                                 r"(?:\s+(?:too|please|as well|also|bro))?\s*[.!?]*\s*$")
# Words after which a capitalised run names someone: "some Nujabes", "more by Jeter Jones", "love The Breeders"
_NAME_CUES = frozenset("some any more by from of about love like no hear add play".split())
_LOWERCASE_AFTER_CUE = re.compile(r"\b(?:some|more|by|from|of|add|play|hear)\s+(?P<name>[a-z][a-z'.-]+"
                                  r"(?:\s+[a-z][a-z'.-]+){1,2})")


def _artists_respelled(text: str, parser: RequestParser) -> str:
    """`text` with a capitalised name after a word such as "some" or "by", which the catalog holds under another
    spelling, written as the catalog does ("add some Jasmine Sullivan" -> Jazmine Sullivan): the request parser
    matches names fuzzily only in the contexts of a request ("like ..."), and the name was said not found."""
    for m in _CAPITALISED_RUN.finditer(text):
        before = re.findall(r"[\w']+", text[:m.start()].lower())
        name = m.group(0).rstrip(".'’")
        key = name_key(name)
        if not before or before[-1] not in _NAME_CUES or parser.vocab.is_common(key):
            continue
        if " " not in key:  # one word is as often something else ("some Soul"), unless it begins one name only
            # ("could you add some of Kanye 's")
            number = parser.vocab.first_name_artist(key)
            if number is not None:
                return f"{text[:m.start()]}{parser.vocab.artist_names[number]}{text[m.start() + len(name):]}"
            continue
        artist = parser.vocab.resolve_artist(key)
        if artist and name_key(artist) != key:
            return f"{text[:m.start()]}{artist}{text[m.start() + len(name):]}"
        if artist is None and len(parts := re.split(r"\s+(?:and|&)\s+", name)) > 1:  # "some Jagged Egde and Jodecci"
            said = [_respelled_part(part, parser) for part in parts]
            if said != parts:
                return f"{text[:m.start()]}{' and '.join(said)}{text[m.start() + len(name):]}"
    # typed in lowercase ("can you add cavin harris"): only with a word no catalog text nor English holds
    for m in _LOWERCASE_AFTER_CUE.finditer(text):
        words = m.group("name").split()
        for n in (2, 3):
            key = name_key(" ".join(words[:n]))
            if len(words) < n or parser.vocab.is_common(key) or all(
                    w in parser.vocab.words or w in model_words() for w in key.split()):
                continue
            if (artist := parser.vocab.resolve_artist(key)) and name_key(artist) != key:
                end = m.start("name") + len(" ".join(words[:n]))
                return f"{text[:m.start('name')]}{artist}{text[end:]}"
    return text


def _respelled_part(name: str, parser: RequestParser) -> str:
    """One name of a list as the catalog spells it, or as written: a single word only when neither the catalog's
    texts nor English hold it ("Jodecci", not "Soul")."""
    key = name_key(name)
    if parser.vocab.is_common(key) or (" " not in key and (key in parser.vocab.words or key in model_words())):
        return name
    artist = parser.vocab.resolve_artist(key)
    return artist if artist else name


def _unknown_name(text: str, parser: RequestParser) -> str | None:
    """A name of an artist or song the catalog lacks (catalog names were read before): the first capitalised
    run after a word such as "some", "by" or "more", not made of common words."""
    for m in _CAPITALISED_RUN.finditer(text):
        before = re.findall(r"[\w']+", text[:m.start()].lower())
        name = m.group(0).rstrip(".'’")
        cues = list(itertools.takewhile(lambda w: w.lower() in _NAME_CUES, name.split()[:-1]))
        if cues:  # "Add Hawthorne Heights to the playlist.": the cue opens the run
            before += [w.lower() for w in cues]
            name = name.split(maxsplit=len(cues))[-1]
        if before[-1:] == ["the"]:  # "some more by the Judds"
            before.pop()
        if not before or before[-1] not in _NAME_CUES:
            continue
        first, _, second = name.partition(" and ")
        # "more of Grace Gillespie and Adreanne Lenker", "from Zero 7 and Ephemeral Mists": two names, the first
        # the catalog lacks said
        for name in (first, second) if second and " " in first else (name,):
            key = name_key(name)
            after = re.match(r"\W*([\w']+)", text[m.end():])
            if (" " not in key and key.endswith(PEOPLE_ENDINGS) and after and after.group(1)[0].islower()) or \
                    not re.search(r"[a-z]{3}", key) or parser.vocab.is_common(key) or \
                    parser.vocab.resolve_artist(key) or _cut_short_artist(key, parser):
                continue  # an adjective ("some Nigerian afrobeats"); no name; a catalog artist after all
            return name
    m = _LOWERCASE_NAME_END.search(text)
    words = [w.strip(".'") for w in m.group("name").split()] if m else []
    if len(words) == 1 and m and m.group("cue") != "by":
        return None
    vocab = parser.vocab
    if words and not any(w in _NOT_THE_POINT or vocab.is_ordinary(w) or w in vocab.genre_phrases or genres_named(w)
                         for w in words) and \
            not vocab.starts_artist(" ".join(words)):
        return m.group("name")  # "songs from johnny cash", "how about patsy cline": "lil nas" is Lil Nas X
    return None


def _cut_short_artist(key: str, parser: RequestParser) -> bool:
    """"Elvis Christmas tunes": the catalog's Elvis Presley, cut short, then common words ("Ricky Nelson" is not
    Ricky Martin)."""
    first, _, rest = key.partition(" ")
    return parser.vocab.starts_artist(first) and (not rest or parser.vocab.is_common(rest))


def _adds_tracks(low: str, rest: str, parsed: ParsedRequest) -> bool:
    """Whether "add ..." asks for new tracks of a kind ("add some 80s rock", "add five songs about rain", "add
    some calmer songs") rather than a count ("add 5 more"), a length ("add 10 minutes") or a change of the
    whole playlist's mood ("add a bit more energy")."""
    if any(f.field == "minutes" for f in _playlist_lengths(low)):
        return False
    if _RELATIVE_ANY.search(low) and not _ADD_NOUN.search(rest):
        return False
    # "add a few more to round it up", "add one more song so i can evaluate": a count, nothing of a kind;
    # "add similar songs", "add some of his", "add a lot more", "add it now": more of the same, or nothing
    return bool(parsed.found & STYLE_FIELDS) or _words_of_substance(_NO_KIND.sub(" ", _ADD_TAIL.sub("", rest)))


_LIKE_THE_REST = re.compile(r"\s*\b(?:(?:that|which)\s+(?:are|is|sound)\s+)?(?:similar to|like)\s+(?:what'?s|what is|"
                            r"the ones?|those|these|them|the rest|the others)\b.*$")
_LEADING_COUNT = re.compile(rf"^(?:a\s+)?({COUNT_WORDS}|couple|few|(?:song|track) or two)\b")


def _add_style(text: str, low: str, rest: str, parsed: ParsedRequest, parser: RequestParser) -> Edit:
    unknown = not parsed.spec.seed_artists and not parsed.found & STYLE_FIELDS
    m = _BY_UNKNOWN.search(low) if unknown else None
    # "from" names someone only when a name follows ("from Ms. Banks", "from faouzia"; "from movies" is a kind)
    if m and _words_of_substance(m.group("name")) and (m.group("word") == "by" or text[m.start("name")].isupper()
                                                       or _unknown_words(m.group("name"), parser)):
        return Edit("message", unknown_title=text[m.start("name"):m.end("name")])
    rest = rest.strip()
    if unknown and _unknown_words(point := _the_point(rest), parser):  # "can you add some of victony too"
        return Edit("message", unknown_title=point)
    lead = _LEADING_COUNT.match(rest)
    said = ({"couple": 2, "few": DEFAULT_MORE}.get(lead.group(1)) or (2 if lead.group(1).endswith(" or two") else None)
            or count_word(lead.group(1))) if lead else None
    count = parsed.spec.n_tracks if "n_tracks" in parsed.found else said or _added_count(low)
    # its first sentence: "2022 songs to the track? i want a modern playlist" adds "2022 songs"; the one with the
    # subject ("The kids are dressing as their favorite characters. Any songs focusing on Harry's companions?")
    sentences = re.split(r"[.!?;]\s", rest)
    sentence = next((one for one in sentences if parsed.spec.about and parsed.spec.about in one.lower()),
                    sentences[0])
    sentence = re.sub(r"^\s*(?:(?:a|one) (?:song|track) or two|a couple of (?:songs?|tracks?))\s+", "", sentence)
    about = _SONG_WORDS.sub("", _ADD_TAIL.sub("", sentence).strip(" .,!?\"'"))
    about = re.sub(r"^(?:to add|to|in)\s+", "", about)  # "I would like to add some ...", "add in a bit of pop"
    about = _LIKE_THE_REST.sub("", about)  # "slow jams that are similar to what's on the list": the kind is said
    return Edit("add_style", add=count or DEFAULT_MORE, about=about, parsed=parsed)


def _words_of_substance(text: str) -> bool:
    return not all(w in STOPWORDS or w in _NOT_A_TITLE or w in NUMBER_WORDS or w.isdigit()
                   for w in re.findall(r"[\w']+", normalize(text)))


def _after_add_verb(text: str) -> str:
    """What a message names after its add verb, without "songs" before it nor "to the playlist" after it."""
    m = _ADD_SONG.search(text)
    return _SONG_WORDS.sub("", _ADD_TAIL.sub("", text[m.end():]).strip(" .!?\"'")) if m else ""


def _added_title(text: str, parsed: ParsedRequest) -> str | None:
    """What follows an add verb when it reads as one title: capitalised, three to eight words, no genre, no
    punctuation and no closing "songs" ("add Running Up That Hill"; not "add Happy vibes", "add Pop songs")."""
    rest = _after_add_verb(text)
    words = rest.split()
    if (not rest[:1].isupper() or parsed.spec.genres or not 3 <= len(words) <= 8 or re.search(r"[.!?;,]", rest)
            or words[-1].lower() in _KIND_NOUNS):
        return None
    return rest


MIN_LISTED_SONGS = 3


def _listed_songs(text: str, parser: RequestParser) -> tuple[list[str], list[str]]:
    """The catalog tracks of a list of three or more titles after an add verb, each read alone, and the titles it
    lacks: found when at least half are (a list of words is no list of titles)."""
    rest = _after_add_verb(text)
    parts = [p.strip(" \"'") for p in re.split(r"\s*(?:,|\band\b|&)\s*", rest) if p.strip(" \"'")]
    if len(parts) < MIN_LISTED_SONGS or rest.split()[-1].lower() in _KIND_NOUNS:  # "add sad, happy and angry songs"
        return [], []
    found: list[str] = []
    missing: list[str] = []
    for part in parts:
        title, _, artist = part.rpartition(" by ")
        seeds = parser.analyse(f'like "{title}" by {artist}' if title else f'like "{part}"').spec.seed_tracks
        ref = None if seeds or title else parser.vocab.titles.get(title_key(part))
        if seeds or (ref and part[:1].isupper()):  # one everyday word capitalised is a title ("Happier")
            found.append(seeds[0] if seeds else ref.track_id)
        elif ref is None:  # a title the catalog has, in lowercase ("sad"), is neither taken nor said missing
            missing.append(part)
    return (list(dict.fromkeys(found)), missing) if 2 * len(found) >= len(parts) else ([], [])


# "songs from Juice WRLD", "some by Rick Ross": artists asked for beside the titles of an add
_FROM_ARTIST = re.compile(r"(?i)\b(?:songs?|tracks?|music|stuff|some(?:thing)?|more|others?|a few|a couple)\s+"
                          r"(?:\w+\s+){0,2}?(?:from|by)\s+[^,;.!?]+")


def _artists_asked(text: str) -> list[str]:
    """The phrases after the message's first add verb that ask for an artist's songs rather than name a title
    ("add Lift Me Up by Rihanna, add songs from Juice World and Rick Ross" -> "songs from Juice World and Rick
    Ross"), each to the end of its clause."""
    start = _ADD_SONG.search(text)
    rest = text[start.end():] if start else ""
    return [m.group(0) for clause in re.split(_ADD_SONG.pattern, rest, flags=re.I)
            for m in _FROM_ARTIST.finditer(clause)]


def _titles_by(text: str, parser: RequestParser) -> tuple[list[str], list[str]]:
    """The catalog tracks named as "<title> by <artist>" (or "from <artist>") after the message's add verbs ("add
    Roar by Katy Perry, add Hero by Mariah Carey"), and those named so whose artist the catalog has but not the
    song (each as said: "please add not afraid from eminem")."""
    start = _ADD_SONG.search(text)
    rest = text[start.end():] if start else ""
    found: list[str] = []
    missing: list[str] = []
    for part in re.split(r"\s*(?:,|;|\band\b|&|[.!?](?:\s|$)|" + _ADD_SONG.pattern + r")\s*", rest, flags=re.I):
        joins = list(re.finditer(r" (?:by|from) ", part or ""))
        last = joins[-1] if joins else None
        title, artist = (part[:last.start()], part[last.end():]) if last else ("", "")
        title = _SONG_WORDS.sub("", title.strip(" \"'“”")).strip(" \"'“”")  # 'the songs "All Me" by Drake'
        artist = re.sub(r"[\s:;()'\"!?.]+$", "", artist).strip()
        # a title is written as one ("some songs by", "2 by", "more upbeat stuff by" ask for a kind), or in
        # lowercase of two words or more that describe no kind ("add legends never die by juice wrld")
        words = title.lower().split()
        lowercase_title = len(words) >= 2 and not any(
            w in _NOT_A_TITLE or w in _KIND_NOUNS or w in parser.vocab.mood_phrases or w in parser.vocab.genre_phrases
            for w in words)
        if not last or not (title[:1].isupper() or lowercase_title) or not artist or \
                len(title.split()) > MAX_TITLE_WORDS or not _words_of_substance(_NO_KIND.sub(" ", title)) or \
                title.split()[-1].lower() in _KIND_NOUNS:
            continue
        spec = parser.analyse(f'like "{title}" by {artist}').spec
        if spec.seed_tracks:
            found.append(spec.seed_tracks[0])
        elif spec.seed_artists:
            missing.append(f'"{title}" by {spec.seed_artists[0]}')
    return list(dict.fromkeys(found)), missing


def named_songs(text: str, parser: RequestParser) -> list[str]:
    """The catalog tracks named after an add verb without quotes ("add Santa Baby and Clean up Woman"), which
    the request parser leaves alone (a bare title needs a context such as "like"): the rest of the message read
    as one quoted title, else as several split at "and" and commas; all must be found, or nothing is."""
    rest = _after_add_verb(text)
    if not rest or not _words_of_substance(rest):
        return []
    for parts in ([rest], [p for p in re.split(r"\s*(?:,|\band\b|&)\s*", rest) if p]):
        quoted = [f'"{title}" by {artist}' if (title := p.rpartition(" by ")[0]) and (artist := p.rpartition(" by ")[2])
                  else f'"{p}"' for p in parts]
        seeds = parser.analyse("like " + " and ".join(quoted)).spec.seed_tracks
        if len(seeds) == len(parts):
            return list(seeds)
    return []


_MORE_WORDS = re.compile(r"^\W*(?:(?:a bit|a little|a lot|much|way|even|some|slightly|bit)\s+)?"
                         r"(?:more|only|just|mostly)\s+(.+)$")
# The season turned down: a Christmas song is no artist or genre to exclude, and "remove the christmas songs"
# named no title ("The Christmas Song" went, the rest stayed)
_NO_SEASON = re.compile(
    r"\b(?:no(?: more)?|without|less|fewer|nothing|remove|drop|delete|cut|ditch|get rid of|take out|lose|skip|"
    r"replace|enough|(?:don't|dont|do not) (?:want|like|play|add|include|need)|hate|(?:sick|tired) of)\s+"
    r"(?:(?:any|the|these|those|of|all|more|so many|so much|with)\s+){0,3}"
    r"(?:christmas|x-?mas|holidays?|festive|yule)\b")
_NEGATIVE_START = re.compile(r"^\W*(?:no more|no|without|nothing (?:by|from)|not|skip|exclude|less|ban)\s+")
# A complaint moves the other way: "too slow" is faster, "way too heavy for me" calmer. A lexicon mood's bounds
# say which way it leans; a few complaints name moods in other words.
_COMPLAINT_WORDS = {"down": "sad", "mopey": "sad", "emo": "sad", "cheery": "cheerful", "bright": "happy",
                    "peppy": "upbeat", "bubbly": "upbeat", "hyper": "energetic", "wild": "energetic",
                    "sluggish": "slow", "quick": "fast", "frantic": "fast", "noisy": "loud", "harsh": "aggressive",
                    "screamy": "aggressive", "boring": "mellow", "sleepy": "sleep", "mild": "mellow",
                    "tame": "mellow", "dancey": "danceable", "clubby": "danceable", "slow paced": "slow",
                    "fast paced": "fast", "low key": "mellow", "ballads": "slow", "ballad": "slow"}
_COMPLAINED = {**{m: m for m in MOODS}, **_COMPLAINT_WORDS}
_COMPLAINED_WORDS = "|".join(re.escape(w).replace(r"\ ", r"[- ]") for w in sorted(_COMPLAINED, key=len, reverse=True))
# "way too heavy", "less chill" (it lowered the energy), '"On the border" is a bit heavy', "I don't like the heavy
# guitar", "sick of all the sad ones": moved against; "not really relaxing enough": moved toward
_COMPLAINT = re.compile(r"\b(?:too|less|(?:(?<=\bis )|(?<=\bare )|(?<=\bwas )|(?<=\bwere )|(?<='s )|(?<=\bseems )|"
                        r"(?<=\bsounds )|(?<=\bfeels )|(?<=\bgets )|(?<=\bsound )|(?<=\bseem ))"
                        r"(?:a bit|a little|a tad|kind of|kinda|somewhat)|"
                        r"(?:don'?t|do not|didn'?t) (?:like|love|want|need) (?:the|all the|so much)|"
                        r"not (?:a (?:big )?fan of|into) (?:the|all the|so much)|(?:sick|tired) of (?:the|all the)) "
                        rf"({_COMPLAINED_WORDS})\b")
_NOT_ENOUGH = re.compile(rf"\bnot (?:really |quite |very |that )?({_COMPLAINED_WORDS})(?:/[a-z]+)* enough\b")
# Tracks of a mood turned away are a complaint too: "no sad songs please", "fewer slow ones", "remove the sad
# songs", "I don't want sad songs" moved toward sad (the mood read alone) or said "sad songs" was no name;
# '"Underneath" is not ambient' describes a track
_REFUSED_MOOD = re.compile(r"(?:\b(?:no(?: more)?|nothing|without|fewer|less of|none of|(?:too|so) many|"
                           r"remove|drop|cut|ditch|lose|skip|delete|get rid of|take out|replace|swap out|switch out|"
                           r"(?:don'?t|do not|didn'?t) (?:want|need|like|love|play|add|include))|"
                           # "not" opening a sentence asks ("Not so sad please"); after "is" it describes
                           r"(?:^\W*|(?<=[.!?;] ))not(?: so| that| very| this| as| too)?)"
                           r"(?: (?:the|all the|any|any more|those|these|of the|more|so many|so much|really|overly|"
                           r"(?:anything|everything|stuff|songs|tracks|ones)"
                           r"(?: that(?:'s| is| are)| which (?:is|are)| with)?))*"
                           rf" ({_COMPLAINED_WORDS})(?! enough\b)"
                           r"(?= (?:songs?|tracks?|ones|stuff|music|tunes|vibes?|numbers|anymore|at all|please)\b|"
                           r"\s*(?:[.,!?;]|$))")
_RELATIVE_ANY = re.compile("|".join([_COMPLAINT.pattern, _NOT_ENOUGH.pattern, _REFUSED_MOOD.pattern,
                                     *(f"(?:{p.pattern})" for p, _, _ in _RELATIVE)]))


def _complaint_moves(said: str) -> dict[str, int]:
    """The feature moves that answer "too <said>": against each bound of the mood ("too slow": tempo up)."""
    ranges = mood_ranges(_COMPLAINED[" ".join(said.replace("-", " ").split())])
    return {name: -1 if r.min is not None else 1 for name, r in (ranges or {}).items()
            if (r.min is None) != (r.max is None)}


def _relative_era(low: str, tracks: list[Track], parsed: ParsedRequest) -> Edit | None:
    """"older" / "more recent": only tracks from before / after the playlist's median year."""
    older, newer = _OLDER.search(low), _NEWER.search(low)
    years = sorted(t.year for t in tracks if t.year)
    # "more recent", "newer" are relative here, though in a request alone they mean the last years
    stated = any(field == "years" and not re.search(r"recent|newer", words.lower()) for field, words in parsed.phrases)
    if bool(older) == bool(newer) or not years or stated:
        return None
    median = years[len(years) // 2]
    spec = parsed.spec.model_copy(update={"year_min": None, "year_max": median - 1} if older else
                                  {"year_min": median + 1, "year_max": None})
    return Edit("refine", parsed=replace(parsed, spec=spec, found=parsed.found | {"year_min", "year_max"}))


_FEWER = re.compile(r"\b(?:less|fewer|not so much|not as much|too much|too many|no more|enough(?: of)?)\s+"
                    r"(?:of\s+)?(?:the\s+)?$")


def _fewer_years_said(low: str, parsed: ParsedRequest) -> bool:
    """Whether the years read are turned down by "less" ("less 2019 stuff", "fewer 80s songs"): read alone, "2019"
    would mean only 2019."""
    said = next((words for field, words in parsed.phrases if field == "years"), None)
    at = low.find(normalize(said)) if said else -1
    return at >= 0 and parsed.spec.year_min is not None and bool(_FEWER.search(low[:at]))


def _away_from_years(tracks: list[Track], parsed: ParsedRequest) -> ParsedRequest:
    """Away from the era read, to the side where the playlist has more of its tracks (older when none)."""
    lo, hi = parsed.spec.year_min, parsed.spec.year_max
    assert lo is not None
    years = [t.year for t in tracks if t.year]
    before = sum(y < lo for y in years)
    after = sum(hi is not None and y > hi for y in years)
    older = hi is None or before >= after
    spec = parsed.spec.model_copy(update={"year_min": None, "year_max": lo - 1} if older else
                                  {"year_min": hi + 1, "year_max": None})
    return replace(parsed, spec=spec)


# "I am not seeing any song selections", "where are the songs?", "the second song wont play": Segue lists tracks
# and plays none; the answer says so and where the playlist is, rather than re-choosing it by those words
_EXPORT = re.compile(r"\b(?:export|download|(?:save|share) (?:it|this|them|the (?:playlist|list|songs|tracks))|"
                     r"(?:send|add|put|"
                     r"move|transfer|get) (?:it|this|them|these|the (?:playlist|list|songs|tracks)) (?:to|on|onto|into|"
                     r"in) (?:my )?(?:spotify|apple music|itunes|youtube(?: music)?|deezer|tidal)|m3u|xspf)\b")
_CAN_NAME_SONGS = re.compile(r"\b(?:(?:can|could|may) (?:i|we)|(?:am i|are we) able to) (?:ask for|request|add|pick|"
                             r"choose|name) (?:a |some )?(?:specific|particular|certain|my own) (?:songs?|tracks?|"
                             r"artists?)\b")
# A track said to be bad by its place: "track 3 is bad", "the second song sucks", "the first one doesn't fit"
_PANNED = re.compile(r"\b(?:is|was|'s|are|were|feels?|seems?)\s+"
                     r"(?:(?:really|so|pretty|kind of|kinda|a bit|just|too)\s+)?"
                     r"(?:bad|terrible|awful|horrible|trash|garbage|rubbish|boring|dull|weak|annoying|the worst|"
                     r"not good|not great|no good|lame|meh)\b|\bsucks?\b|\bfalls? flat\b"
                     # "I've heard track 2 too many times"
                     r"|\bheard\b.{0,30}\b(?:too (?:many times|much|often)|enough|so (?:many times|much|often)|"
                     r"a (?:million|thousand|hundred) times)\b|\b(?:tired|sick) of (?:track|song|number)\b"
                     r"|\b(?:doesn'?t|does not|don'?t|do not) (?:fit|belong|work)\b")
# "track 3 is too long": that track, not the playlist ("Shortened to 10 tracks")
_TRACK_TOO = re.compile(rf"\b(?:is|was|'s|it'?s|it is)\s+{_TOO}\s+(?P<way>long|short)\b")
_PRAISED = re.compile(r"\b(?:is|was|'s|are)\s+(?:(?:really|so|just|pretty|absolutely|such)\s+)?(?:a\s+)?(?:great|good|"
                      r"amazing|awesome|perfect|fantastic|excellent|lovely|beautiful|brilliant|fire|banger|bop|jam|"
                      r"my (?:fav(?:ou?rite)?|jam|song))\b|^\W*(?:oh\W+)?(?:i\s+)?(?:really\s+|absolutely\s+)?"
                      r"(?:love|like|adore|dig|enjoy)\s+(?:the\s+\w+\s+(?:one|song|track)\b|track|song|number|#)")
# What asks for something beside the praise: "track 3 is good but too slow"
_PRAISE_TURNS = re.compile(r"\b(?:but|though|although|except|however|too|remove|replace|drop|swap|move|put|add|"
                           r"make|less|fewer|instead)\b")
LIKED = "liked"  # thanks' topic: a track praised
# "remove everything except the first 5", "replace all but track 1": the other tracks
_ALL_BUT = re.compile(r"\b(?:everything|every (?:song|track)|all(?: (?:the|of the))?(?: (?:songs|tracks|others|ones))?|"
                      r"the rest)\s+(?:except(?: for)?|but|other than|apart from|besides|save)\s")
# "keep the Kanye songs and replace the rest": the tracks not kept
_KEEP_REST = re.compile(r"^\W*keep\s+(?:only\s+|just\s+)?(?P<kept>.+?)(?:,\s*|\s+)(?:(?:and|but|then)\s+)?"
                        r"(?P<verb>replace|remove|drop|change|swap out|get rid of|lose|ditch|cut|redo|rework|"
                        r"refresh|reroll|shuffle out|try again with|switch up|swap)\s+"
                        r"(?:the rest|all the others|everything else|the others|all the rest|the other (?:songs|tracks|"
                        r"ones))(?:\s+(?:out|please|for me))?\W*$")


def _all_but(text: str, low: str, tracks: list[Track]) -> Edit | None:
    """Tracks named as the ones to keep while the rest are removed or replaced: those others."""
    if (m := _KEEP_REST.match(low)) is not None:
        kept_text, kept_low, verb = text[m.start("kept"):m.end("kept")], m.group("kept"), m.group("verb")
    elif (m := _ALL_BUT.search(low)) is not None and (_REMOVE.search(low[:m.start()]) or _REPLACE.search(
            low[:m.start()])):
        kept_text, kept_low, verb = text[m.end():], low[m.end():], low[:m.start()]
    else:
        return None
    n = len(tracks)
    kept = find_positions(kept_low, n, bare=True) or find_titles(kept_text, tracks) or \
        find_superlatives(kept_low, tracks) or find_artist_tracks(kept_text, tracks)
    if not kept or any(not 0 <= p < n for p in kept):
        return None
    others = [i for i in range(n) if i not in kept]
    replaced = _REPLACE.search(verb) or re.search(r"change|redo|rework|refresh|reroll|again|switch|swap", verb)
    return Edit("replace" if replaced else "remove", positions=others)


_RENAME = re.compile(r"^\W*(?:(?:please|ok|okay|now|and|can you|could you|let'?s)\W+)*(?:call|name|rename|title|"
                     r"retitle)\s+(?:it|this|the (?:playlist|list|mix)|this (?:playlist|list|mix))\s+(?:to\s+|as\s+)?"
                     # "name it after my dog", "call it something fun": no name yet
                     r"(?!(?:after|something|whatever|anything|for|like|by)\b)"
                     r"[\"“'‘]?(?P<name>[^\"”’]{1,60}?)[\"”'’]?(?:\s+please)?\W*$", re.IGNORECASE)
_NAME_ASKED = re.compile(r"^\W*(?:(?:please|ok|okay|now|and|can you|could you)\W+)*(?:give|find|think of|come up "
                         r"with|suggest) (?:it|this|the (?:playlist|list|mix)) a (?:name|title)(?: please)?\W*$")
# Another version of this playlist: "do another one like this but calmer", "make a second one like this"
_ANOTHER_LIKE = re.compile(r"\b(?:another|a second|a new|one more|a different) (?:one|playlist|list|mix|version)\s+"
                           r"(?:just |kind of |kinda |a bit )?(?:like|similar to) (?:this|that|it|the (?:last|first) "
                           r"one)\b")
# "cut it down to 10", "reduce it to 8": that many tracks (a bare number there is no track's place)
_CUT_TO = re.compile(rf"\b(?:cut|trim|reduce|shorten|bring|get|take|pare|whittle|narrow|slim)\s+(?:it|this|the "
                     rf"(?:playlist|list|mix)|things|them)\s+(?:down\s+|back\s+)?to\s+(?:just\s+|only\s+)?"
                     rf"(?P<n>{COUNT_WORDS})(?:\s+(?:songs|tracks|tunes))?(?:\s+please)?\W*$")
_TITLE_ASKED = re.compile(r"\bwhat(?:'s| is) (?:this|the|my|our) (?:playlist|list|mix) (?:called|named)\b|"
                          r"\bwhat(?:'s| is) (?:its|the playlist'?s) (?:name|title)\b")
_ARTISTS_ASKED = re.compile(r"\b(?:(?:any|are there) (?:duplicate|repeated|repeat) (?:artists|bands)|how many "
                            r"(?:different )?(?:artists|bands)|which (?:artists|bands) are (?:in|on) "
                            r"(?:it|this|the)|who are the (?:artists|bands)"
                            # "who's the most played artist here?", "which artist has the most songs?"
                            r"|(?:which|what) (?:artist|band) (?:has|appears|shows up|comes up|is (?:on|in) "
                            r"(?:it|here|this|the playlist))(?: the)? most"
                            r"|most (?:played|frequent|common|featured|repeated) (?:artist|band)"
                            r"|who (?:appears|shows up|comes up|is (?:on|in) (?:it|here|this|the playlist))"
                            r" (?:the )?most"
                            # "who is on this playlist?", "what artists did you pick?" (they gave the count, help)
                            r"|who(?:'s| is| are) (?:on|in) (?:it|here|this|the (?:playlist|list|mix))(?=\W*$)"
                            r"|who (?:sings|plays|performs) (?:these|them|those|all (?:of )?(?:these|them))(?=\W*$)"
                            r"|(?:which|what) (?:artists|bands) (?:did you (?:pick|choose|use|add|put)|are (?:there|"
                            r"these|those|included|featured|playing)|do you have (?:on|in) (?:it|here|this|the))"
                            r"|(?:list|name|show) (?:me )?(?:the|all the) (?:artists|bands))\b")
_DUPLICATES = re.compile(r"\b(?:duplicates?(?! artists?| bands?)|duplicated (?:songs|tracks)|(?:same|a) song twice|"
                         r"(?:songs|tracks) (?:repeated|twice))\b")
_EXPLICIT = re.compile(r"\b(?:explicit|profanity|swearing|cursing|cussing|clean (?:versions?|lyrics|edits?)|"
                       r"(?:bad|foul|dirty) (?:language|words)|(?:swear|curse|cuss) words)\b")
_PLAYBACK = re.compile(r"\b(?:(?:not (?:seeing|getting|receiving)|(?:didn'?t|did not|haven'?t|have not) (?:send|sent|"
                       r"get|got|see|seen|receive[d]?)(?: in)?|(?:can'?t|cannot|can not) (?:see|hear|play)) "
                       r"(?:any|the) (?:\w+ )?(?:songs?|tracks?|playlist|music|selections?|list)\b|"
                       r"where are the (?:songs|tracks)\b|"
                       r"(?:only|just) (?:seeing|see|got|getting) one (?:song|track)\b|"
                       r"(?:wo|does|is|are)(?:n'?t| not) (?:play|load|open)(?:ing)?(?=\s*(?:$|[.,;!?]|for\b|on\b|"
                       r"at all\b)))|"
                       r"^\W*(?:(?:ok|okay|now|please|can you|could you)\W+)*(?:play|start|listen to) (?:it|this|them|"
                       r"these|the (?:playlist|list|songs|tracks|first (?:one|song|track)))\W*(?:please|now)?\W*$")


# "which songs are from 1997?", "how many tracks are over 5 minutes?", "are there any songs longer than 6 minutes?"
_WHICH = re.compile(r"^\W*(?:(?:so|and|ok|okay|hey|also)\W+)*(?:(?:which|what) (?:songs?|tracks?|ones?)"
                    r"(?: here| in (?:here|it|the playlist))? (?:are|is|were|was|come|came)"
                    r"|how many (?:songs?|tracks?|of (?:them|these|the songs)) (?:are|were|is)"
                    r"|(?:are|is) there any (?:songs?|tracks?) (?=(?:over|under|longer|shorter|more than|less than) )"
                    # "are any of these from the 70s?" replaced them all with 70s songs
                    r"|(?:are|is|were) any (?:of (?:these|them|those|the (?:songs|tracks))|songs|tracks)(?: here| in "
                    r"(?:here|it|the playlist))? (?=from |by |(?:over|under|longer|shorter|more than|less than) ))")


def _which(text: str, low: str, tracks: list[Track], parser: RequestParser) -> Edit | None:
    """A question of which tracks meet something ("which songs are from 1997?" replaced 13 tracks with ones of
    1997): the tracks that do, by what the question says, nothing changed."""
    if not _WHICH.search(low) or superlative_attribute(low):  # "which song is the fastest?" is another question
        return None
    parsed = parser.analyse(text)
    said = _fields_said(parsed, STYLE_FIELDS)
    if "minutes" in parsed.found and parsed.spec.length_bound != "about" and not said:
        # "which songs are over 4 minutes?": each song's length, not the playlist's
        said = {"track_minutes": Range(min=parsed.spec.minutes) if parsed.spec.length_bound == "at_least"
                else Range(max=parsed.spec.minutes)}
    if not said and parsed.spec.seed_artists and re.search(r"\b(?:by|from)\b", low):  # "which songs are by Usher?"
        return Edit("question", topic="count_by", positions=_named_artist_tracks(text, tracks, parser),
                    about=" or ".join(parsed.spec.seed_artists))
    if not said:
        return None
    asked = PlaylistSpec(**said)
    what = [describe_range("year", Range(min=asked.year_min, max=asked.year_max))] if "year_min" in said else []
    what += [" or ".join(asked.genres)] if asked.genres else []
    what += [describe_range(name, r) for name, r in asked.features.items()]
    what += [describe_range(TRACK_MINUTES, asked.track_minutes)] if asked.track_minutes else []
    what += [asked.popularity.replace("_", " ")] if asked.popularity != "any" else []
    return Edit("question", topic="which", positions=[i for i, t in enumerate(tracks) if not track_breaks(t, asked)],
                about="; ".join(what))


def _question(text: str, low: str, tracks: list[Track]) -> Edit | None:
    topic = next((name for name, pattern in _TOPICS if pattern.search(low)), None)
    # "why so many by Drake?" is about the playlist's tracks; "got any from The Jackson 5?" asks for more
    asks = bool(_ASKS_FOR.search(low))
    if (m := _ARTIST_IN_HERE.search(text)) and (name := m.group("name").strip(" ,")):  # "anything by Prince in here?"
        return Edit("question", topic="count_by", positions=find_artist_tracks(name, tracks), about=name)
    if topic == "count" and (m := _COUNT_BY.search(text)) and not asks:  # "how many songs are by Bruno Mars?"
        return Edit("question", topic="count_by", positions=find_artist_tracks(text, tracks),
                    about=m.group("name").strip())
    if (attribute := superlative_attribute(low)) and (positions := find_superlatives(low, tracks)):
        # "which song is the most popular?": that track, answered about what made it so
        return Edit("question", positions=positions, topic=_SUPERLATIVE_TOPICS.get(attribute, attribute))
    positions = find_positions(low, len(tracks)) or ([] if asks else find_titles(text, tracks))
    if not positions and re.search(r"\b(?:by|from)\b", low) and not asks:
        positions = find_artist_tracks(text, tracks)
    if positions:
        return Edit("question", positions=positions, topic=topic or "why")
    # "Do you have anything more Kpop ... fun and bubbly", "is there anything else like X? something with an angry
    # type energy?" ask for tracks, not the playlist's mood or energy
    if topic is not None and (_PLAYLIST_WORDS.search(low) and not asks or topic in ("count", "duration")
                              or _SHORT_ASKED.match(low)):  # "what's the tempo?" got the help text
        return Edit("question", topic=topic)
    if topic == "why" and _THESE.search(low) and not asks:  # "why these songs?", "why did you pick these?"
        return Edit("question", topic="why")
    quoted = quoted_title(text)
    if topic == "why" and quoted:
        return Edit("question", topic="why", unknown_title=quoted)
    if re.search(r"\b(?:here|there|in (?:the|this|my) (?:playlist|list|mix)|included|chose|choose|pick(?:ed)?)\b",
                 low) and topic is not None and not asks:
        return Edit("question", topic=topic, unknown_title=_after_verb(text))
    return None


_THESE = re.compile(r"\b(?:these|those|them|the (?:songs|tracks|picks|choices|selection))\b")
_ARTIST_IN_HERE = re.compile(r"(?i)^\W*(?:is there|are there|do (?:you|we) have|did you (?:add|include|put)|have you "
                             r"got|got)\s+(?:any(?:thing|one)?|something|songs?|tracks?|some)\s+(?:\w+\s+)?"
                             r"(?:by|from)\s+"
                             r"(?P<name>[^?.!]{1,60}?)\s+(?:in here|in there|in (?:the|this|my) (?:playlist|list|mix)|"
                             r"on (?:the|this|my) (?:playlist|list))\W*$")
_COUNT_BY = re.compile(r"\b(?:by|from)\s+(?P<name>[^?.!]{1,60}?)(?:\s+(?:are|in|on)\s+(?:there|here|it|"
                       r"the (?:playlist|list)))?\W*$", re.IGNORECASE)
_SUPERLATIVE_TOPICS = {"valence": "mood", "duration_ms": "duration"}


def _after_verb(text: str) -> str | None:
    m = re.search(r"\b(?:is|did you (?:pick|choose|include|add))\s+(.{2,60}?)\s+(?:here|there|in|included)\b", text,
                  re.IGNORECASE)
    return m.group(1).strip(" \"'“”") if m else None


def _reorder(low: str, tracks: list[Track]) -> Edit | None:
    if _SPREAD.search(low):
        return Edit("reorder", ordering="spread")
    if _SHUFFLE.search(low):
        return Edit("reorder", ordering="shuffle")
    if _REVERSE.search(low) and not find_positions(low, len(tracks)):
        return Edit("reorder", ordering="reverse")
    if m := _AGE_ORDER.search(low):
        return Edit("reorder", ordering="year" if m.group("old") or m.group("old_to") else "newest")
    if m := _SORT.search(low):
        key = (m.group(1) or "year").lower()
        return Edit("reorder", ordering="tempo" if key in ("tempo", "bpm") else "energy" if key == "energy" else "year")
    orderings = find_ordering(low)
    # "flow" says how to order only with a word of doing so: "make it flow", "flow better", "a smoother flow"; not
    # "Early jazz is my favorite when it comes to flow"
    if orderings and re.search(r"\b(?:(?:re-?)?order|(?:re-?)?sequence|(?:re)?arrange|build|wind|cool|ramp|set|peak|"
                               r"start|begin|open|kick|end|finish|close|wrap|put|"
                               r"(?:slow|calm|soft|chill|mellow|quiet|fast|energetic|upbeat|loud)(?:er|est)? to|"
                               r"make (?:it|them|the (?:playlist|songs|tracks)) flow|flows? (?:better|well|nicely|"
                               r"smoothly)|(?:better|smoother|good|nice) flow|transitions?)\b", low):
        return Edit("reorder", ordering=orderings[0].value)
    return None


_TO_START = re.compile(r"\b(?:to|at) the (?:top|start|beginning|front)\b|\bfirst\s*$|"
                       r"\bthe (?:first|opening) (?:song|track|one)\s*$|\bto (?:the )?(?:top|start)\b|"
                       r"\bopen with\b|\bopener\b")
# Tracks added at the start: "add some Nas at the beginning"; not "to top off the playlist"
_ADDED_FIRST = re.compile(r"\b(?:at|to) the (?:start|beginning|front|top)\b(?!\s+(?:off|up)\b)")
_TO_END = re.compile(r"\b(?:to|at) the (?:end|bottom|back)\b|\blast\s*$|\bto (?:the )?(?:end|bottom)\b|\bcloser\b"
                     r"|\bthe (?:last|closing) (?:song|track|one)\s*$")
# "put track 3 after track 6", "move Yellow before the first song": next to another track
_NEXT_TO = re.compile(r"\b(?P<side>after|behind|before|ahead of|in front of)\s+(?P<anchor>.+)$")
# "move track 4 up", "bump the last song down two spots"
_UP_DOWN = re.compile(rf"\b(?P<way>up|down|higher|lower|earlier|later)(?:\s+(?:by\s+)?(?P<k>{COUNT_WORDS}|a)\s+"
                      r"(?:spots?|places?|positions?|slots?|notch(?:es)?))?\s*$")
_TO_MIDDLE = re.compile(r"\b(?:to|in|into) the middle\b")
_TO_POSITION = re.compile(r"\b(?:to|at|into|in)\s+(?:position|spot|place|slot|number|#)\s*#?(\d{1,3})\b|"
                          r"\b(?:to|at)\s+(?:the\s+)?(" + "|".join(ORDINALS) + r")\s+(?:position|spot|place|slot)\b")


_PLACE_LEAD = (r"^\W*(?:(?:ok|okay|and|also|now|then|please|maybe|oh|could you|can you|would you|can we|could we|"
               r"let'?s|lets|i'?d like to|i want to|we should)\W+)*")
# "start with Creep by Radiohead", "end on Hey Jude": the song named opens or closes the playlist
_PLACE_WITH = re.compile(_PLACE_LEAD + rf"(?:(?P<first>{START})|{FINISH}) (?:with|on) (?P<song>.+?)\W*$",
                         re.IGNORECASE)
# "put Creep at the end", "add Hey Jude by the Beatles first"
_PLACE_VERB = re.compile(_PLACE_LEAD + r"(?:add|put|place|stick|have|play|throw in) (?P<song>.+?)$", re.IGNORECASE)
_SOME = re.compile(rf"(?:some|any|more|a few|a couple|{COUNT_WORDS}|songs?|tracks?|something|anything)\b",
                   re.IGNORECASE)
_ONE_BY = re.compile(r"^(?:something|a song|a track|one|a tune)\s+(?:by|from)\s", re.IGNORECASE)


def _placed_song(text: str, tracks: list[Track], parser: RequestParser) -> Edit | None:
    """A song said to open or close the playlist: moved there when it is in it, else added there (one song by an
    artist for "start with something by Radiohead"); a title the catalog lacks is said ("end with Take Five"
    explained the chat)."""
    if m := _PLACE_WITH.match(text):
        song, first = m.group("song"), bool(m.group("first"))
    else:
        place = _TO_START.search(text.lower()) or _TO_END.search(text.lower())
        if not place or not (m := _PLACE_VERB.match(text[:place.start()].rstrip())):
            return None
        song, first = m.group("song"), bool(_TO_START.match(text.lower(), place.start()))
    song = song.strip(" \"'“”‘’")
    if at := find_superlatives(song.lower(), tracks):  # "start with the oldest song" started a new playlist
        return Edit("move", positions=at, to=0 if first else len(tracks) - 1)
    if _ONE_BY.match(song):
        parsed = parser.analyse(song)
        return Edit("more_like", add=1, parsed=parsed, to=0 if first else None) if parsed.spec.seed_artists else None
    if _SOME.match(song):  # "wrap up with a couple songs from Ella Mai", "end with something upbeat": no song
        return None
    if len(at := find_titles(song, tracks)) == 1:
        return Edit("move", positions=at, to=0 if first else len(tracks) - 1)
    if songs := named_songs(f"add {song}", parser):
        return Edit("add_songs", track_ids=songs, to=0 if first else None)
    parsed = parser.analyse(song)
    if song[:1].isupper() and len(song.split()) <= MAX_TITLE_WORDS and parsed.found <= {"description"}:
        return Edit("message", unknown_title=song)
    return None


def _move(text: str, low: str, tracks: list[Track]) -> Edit | None:
    n = len(tracks)
    if (m := _NEXT_TO.search(low) or _UP_DOWN.search(low)) and not _TO_POSITION.search(low):
        return _moved_by(text, low, tracks, m)
    if m := _TO_POSITION.search(low):
        target = int(m.group(1)) - 1 if m.group(1) else ORDINALS[m.group(2)] - 1
    elif m := _TO_START.search(low):
        target = 0
    elif m := _TO_END.search(low):
        target = n - 1
    elif m := _TO_MIDDLE.search(low):
        target = n // 2
    else:
        return None
    positions = _moved_track(text, low[:m.start()], tracks)  # "put the two calmest songs at the end": both
    return Edit("move", positions=positions, to=target) if positions else None


def _moved_track(text: str, head: str, tracks: list[Track]) -> list[int]:
    """The track a move names in `head`, the message's words before where it goes."""
    return find_positions(head, len(tracks), bare=True) or find_titles(text[:len(head)], tracks) or \
        find_superlatives(head, tracks)


def _moved_by(text: str, low: str, tracks: list[Track], m: re.Match[str]) -> Edit | None:
    """A move said from where the track is or from another track: "move track 4 up", "bump the last song down two
    spots", "put track 3 after track 6", "put Electric Feel before the first song"."""
    n = len(tracks)
    positions = _moved_track(text, low[:m.start()], tracks)
    if not positions:
        return None
    if m.re is _UP_DOWN:
        k = count_word(m.group("k")) if m.group("k") and m.group("k") != "a" else 1
        up = m.group("way") in ("up", "higher", "earlier")
        to = positions[0] - k if up else positions[0] + k
        return Edit("move", positions=positions[:1], to=min(max(to, 0), n - 1))
    anchor = find_positions(m.group("anchor"), n, bare=True) or find_titles(text[m.start("anchor"):], tracks)
    if not anchor:
        return None
    if anchor[0] == positions[0]:  # "put track 3 after track 3" cut the playlist to 3 tracks
        return Edit("move", positions=positions[:1], to=positions[0])
    after = m.group("side") in ("after", "behind")
    # the moved track leaves its place first: what was behind it moves up one
    return Edit("move", positions=positions[:1], to=anchor[0] + after - (positions[0] < anchor[0]))


def _said_in(text: str, low: str, pattern: re.Pattern[str], parser: RequestParser, parsed: ParsedRequest,
             ) -> tuple[str, str, ParsedRequest]:
    """The sentences of a message that `pattern` matches, folded, and the message's reading with what they name
    turned down (`_turned_down`): "I don't like much of the male singers. But ... Fugees and Alicia Keys are my
    favorite" turns down no one. The whole message when every sentence (or none) matches."""
    # "I'm not a fan of Zebrahead, something more like Anti-flag would be cool": the clause after the turn asks
    sentences = _clauses(text)
    hit = [s.strip() for s in sentences if pattern.search(normalize(s).replace("’", "'"))]
    if not hit or len(hit) == len(sentences):
        spec = parsed.spec
        if spec.exclude_artists or spec.exclude_genres or spec.exclude_tracks:
            return text, low, parsed  # the parser read what is turned down: "not a fan of X, but add some Y"
        return text, low, _turned_down(parsed, spec)
    said = " ".join(hit)
    complaint = parser.analyse(said).spec
    if complaint.exclude_artists or complaint.exclude_genres or complaint.exclude_tracks:
        # the parser read what is turned down, and what it asks for beside it stays asked for: 'Not a fan of Papa
        # Roach or the "louder" Metallica songs' turns down Metallica's louder songs, not Metallica
        complaint = complaint.model_copy(update={"seed_artists": [], "seed_tracks": [], "genres": []})
    return said, normalize(said).replace("’", "'"), _turned_down(parsed, complaint)


def _clauses(text: str) -> list[str]:
    """The message's sentences, split again where a clause turns ("..., but", ", how about", "and add"). The dot of
    an initial or inside a name ends none ("remove J. Cole" was two sentences, and added more like him)."""
    kept = _NAME_DOT.sub(_HELD_DOT, text)
    return [c.replace(_HELD_DOT, ".") for s in re.findall(r"[^.!?;]+[.!?;]*", kept) for c in _CLAUSE_TURN.split(s)
            if c.strip()]


_NAME_DOT = re.compile(r"(?<=\b[A-Z])\.(?=\s*[A-Z])|\.(?=\w)|(?<=\bMr)\.|(?<=\bMs)\.|(?<=\bDr)\.|(?<=\bSt)\.|"
                       r"(?<=\bJr)\.|(?<=\bvs)\.")
_HELD_DOT = "\u2024"  # one dot leader: a dot that ends no sentence while the message is split


_CLAUSE_TURN = re.compile(r"(?i),?\s+but\s+|,\s*(?=(?:something|maybe|perhaps|how about|what about|instead|can you|"
                          r"could you|please|more|give me|play)\b)|"
                          r"\s+and\s+(?=(?:add|put in|throw in|include|bring)\b)")


_NAME_FIELDS = ("seed_artists", "seed_tracks", "exclude_artists", "exclude_tracks")
_ARTIST_FIELDS = ("seed_artists", "exclude_artists")


def _without_names(text: str, parsed: ParsedRequest, fields: Sequence[str] = _NAME_FIELDS) -> str:
    """`text` (as written, or folded) without the names the parser read: "Maroon 5" or "Third Eye Blind" name no
    position, "some Lil Baby too" no playlist track "Baby". `normalize` folds one character for one, so a name
    found in the folded text is blanked at the same place in the text as written."""
    folded = normalize(text)
    keep = [True] * len(text)
    for field_name, words in parsed.phrases:
        if field_name in fields and (key := normalize(words).strip()):
            for m in re.finditer(re.escape(key), folded):
                keep[m.start():m.end()] = [False] * (m.end() - m.start())
    return "".join(char if kept else " " for char, kept in zip(text, keep))


_EXCLUSION_FIELDS = frozenset({"exclude_artists", "exclude_genres", "exclude_tracks"})


def _exclusions_only(parsed: ParsedRequest) -> ParsedRequest:
    """`parsed` reduced to what it turns down, when another edit of the message takes the rest."""
    spec = parsed.spec.model_copy(update={"seed_artists": [], "seed_tracks": []})
    return replace(parsed, spec=spec, found=parsed.found & {"description", *_EXCLUSION_FIELDS})


def _removal(text: str, low: str, parsed: ParsedRequest, tracks: list[Track]) -> Edit | None:
    # a number inside a quoted title or a name is no position ('"6 underground"', "get rid of Maroon 5")
    # "drop the slowest song"; "drop the 2 least popular songs" is no track 2
    positions = find_superlatives(low, tracks) or find_positions(
        _without_names(re.sub(r"\"[^\"]*\"|“[^”]*”", " ", low), parsed), len(tracks), bare=True)
    if positions:
        return Edit("remove", positions=positions)
    titles = find_titles(text, tracks)
    asked = {name_key(a) for a in parsed.spec.seed_artists}  # "or the louder Metallica songs": not Metallica
    artist_tracks = [i for i in find_artist_tracks(text, tracks) if name_key(tracks[i].artist) not in asked]
    named_artists = parsed.spec.exclude_artists
    if titles and not (artist_tracks and set(artist_tracks) >= set(titles)):
        return Edit("remove", positions=titles)
    if artist_tracks and _ONE_SONG.search(low):  # "remove the M83 song": that track, not the artist
        return Edit("remove", positions=artist_tracks[:1])
    if named_artists and _fewer(low, parsed):
        return Edit("exclude", topic=FEWER, parsed=parsed)
    if named_artists or artist_tracks:
        return Edit("exclude", parsed=parsed, positions=artist_tracks)
    if parsed.spec.exclude_genres:
        return Edit("exclude", parsed=parsed)
    quoted = quoted_title(text)
    if quoted:
        return Edit("remove", unknown_title=quoted)
    return None


# "Korn doesn't seem to fit", "they just aren't a good fit", "AC/DC might be a bit out of place": a complaint
# about what is named before it in that sentence ("would fit", "fit perfectly" praise)
_MISFIT = re.compile(r"\b(?:do|does|did|wo)(?: not|n'?t)\s+(?:\w+\s+){0,2}?(?:fit|belong|match)\b|"
                     r"(?:\bnot|n't|\b(?:is|are|was|were)nt)\s+(?:\w+\s+){0,2}?(?:fit|match)\b|\bout of place\b|"
                     # "eminem is overplayed" leaned to the words, "the Eagles song is boring" added more like them
                     r"\b(?:is|are|'s|'re|was|were)\s+(?:(?:so|way|too|a bit|kind of|kinda|pretty|really|just)\s+)*"
                     r"(?:overplayed|played out|boring|dull|annoying|terrible|awful|lame|trash|garbage)\b")


def _misfit(text: str, parsed: ParsedRequest, parser: RequestParser, tracks: list[Track]) -> Edit | None:
    """What a sentence names before saying it does not fit is turned down; what the rest of the message names
    still steers the refill ("..., could you show me more songs like X by Y?")."""
    spans = [sentence[:m.end()] for sentence in re.findall(r"[^.!?;]+", text.replace("’", "'"))
             if (m := _MISFIT.search(sentence.lower()))]
    if not spans:
        return None
    complaint = parser.analyse(" . ".join(spans)).spec
    positions = [i for span in spans for i in find_artist_tracks(span, tracks)]
    titles = [i for span in spans for i in find_titles(span, tracks) if i not in positions]
    turned = _turned_down(parsed, complaint, [tracks[i].track_id for i in titles])
    if not (turned.spec.exclude_artists or turned.spec.exclude_tracks or turned.spec.exclude_genres or positions):
        return None
    if not positions and titles and not (complaint.seed_artists or complaint.genres):
        return Edit("remove", positions=titles)
    if any(re.search(r"overplayed|played out", span.lower()) for span in spans):  # of them, not of the playlist
        turned = replace(turned, found=turned.found - {"popularity"})
    return Edit("exclude", parsed=turned, positions=positions)


# A remark on artists the playlist holds: "Eminem and Missy E are more 90s and newer", "Some of the Pink Floyd is
# too slow"; not "Drake is my favorite", nor "Pink Floyd was a good pick but a different song maybe"
_NAMED = "\x00"
_REMARK_VERBS = r"is|are|was|were|seems?|sounds?|feels?"
_REMARK = re.compile(rf"(?:\b(?i:some|all|most|one|a few|a couple|a lot) of\s+)?(?:\b(?i:the)\s+)?{_NAMED}+"
                     rf"(?:\s*(?:,|and|&|or)\s*(?:the\s+)?(?:{_NAMED}+|[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){{0,3}}))*"
                     rf"\s+(?i:{_REMARK_VERBS})\b(?P<said>[^.!?;]*)[.!?;]*")
_REMARK_VERB = re.compile(rf"\b(?:{_REMARK_VERBS})\b", re.IGNORECASE)
# what the remark says of them is their era or a complaint: so said of any artist, held or not
_REMARK_DESCRIBES = re.compile(r"\b(?:newer|older|too|a bit|a little|kind of|kinda|more \d|\d0s|(?:19|20)\d\ds?)\b",
                               re.IGNORECASE)
_REMARK_ASKS = re.compile(r"\b(?:can|could|would|please|add|give|play|show|want|need|let'?s|how about|what about|"
                          r"maybe|instead|include|throw|favou?rites?|best|love|more of|overplayed|played out)\b"
                          r"|\bbut\b(?! still\b)",
                          re.IGNORECASE)

_ASKED_BEFORE = re.compile(r"\b(?:more|some|any|add|play|hear|get|want|need|like|love)\s+$", re.IGNORECASE)
_BACK_TO_THEM = re.compile(r"\b(?:them|him|her|their|his|they|he|she)\b", re.IGNORECASE)


def _without_remarks(text: str, parser: RequestParser, tracks: list[Track]) -> str:
    """`text` without its remarks on artists (those the playlist holds, or any whose era or fault is said): they
    ask for nothing."""
    if not _REMARK_VERB.search(text):
        return text  # no remark to cut, and no second reading of the message on the way of every turn
    names = [words for name, words in parser.analyse(text).phrases if name == "seed_artists"]
    if not names:
        return text
    have = {name_key(t.artist) for t in tracks}
    masked = text
    for words in names:
        masked = re.sub(re.escape(words), lambda m: _NAMED * len(m.group(0)), masked, flags=re.IGNORECASE)
    cut = []
    for m in _REMARK.finditer(masked):
        spans = [(m.start() + a.start(), m.start() + a.end()) for a in re.finditer(f"{_NAMED}+", m.group(0))]
        artists = [a for a0, a1 in spans for a in parser.analyse(text[a0:a1]).spec.seed_artists]
        if _ASKED_BEFORE.search(masked, 0, m.start()) or _BACK_TO_THEM.search(masked, m.end()):
            continue  # "more michael jackson is good"; "X sounds great! can you show me more from them?"
        if not _REMARK_ASKS.search(m.group("said")) and artists and (
                _REMARK_DESCRIBES.search(m.group("said")) or all(name_key(a) in have for a in artists)):
            cut.append((m.start(), m.end()))
    for start, end in reversed(cut):
        text = f"{text[:start]} {text[end:]}"
    return " ".join(text.split()) if cut else text


def _without_conceded(text: str, parsed: ParsedRequest, parser: RequestParser) -> ParsedRequest:
    """The reading without the artists only conceded before "but" ("I have a lot of respect for biggie but my
    rap taste starts with the 2000's"): regard that wishes nothing."""
    conceded = _CONCEDED.search(text)
    if conceded is None or not parsed.spec.seed_artists:
        return parsed
    asked = parser.analyse(text[:conceded.start()] + text[conceded.end():]).spec.seed_artists
    seeds = [a for a in parsed.spec.seed_artists if a in asked or a not in
             parser.analyse(text[conceded.start():conceded.end()]).spec.seed_artists]
    if seeds == parsed.spec.seed_artists:
        return parsed
    return replace(parsed, spec=parsed.spec.model_copy(update={"seed_artists": seeds}),
                   found=parsed.found if seeds else parsed.found - {"seed_artists"})


def _fewer(low: str, parsed: ParsedRequest) -> bool:
    """Whether every artist the message turns down is said after "less" or "fewer"."""
    said = [normalize(words).replace("’", "'") for name, words in parsed.phrases if name == "exclude_artists"]
    return bool(said) and all(re.search(_FEWER_BEFORE + re.escape(words), low) for words in said)


def _turned_down(parsed: ParsedRequest, complaint: PlaylistSpec, track_ids: Sequence[str] = ()) -> ParsedRequest:
    """`parsed` with what `complaint` (the part of the message that turns things down) names moved from what it
    asks for to what it excludes; names said elsewhere in the message still steer."""
    artists = list(dict.fromkeys([*complaint.seed_artists, *complaint.exclude_artists]))
    songs = list(dict.fromkeys([*complaint.seed_tracks, *complaint.exclude_tracks, *track_ids]))
    genres = list(dict.fromkeys([*complaint.genres, *complaint.exclude_genres]))
    spec = parsed.spec
    turned = spec.model_copy(update={
        "seed_artists": [a for a in spec.seed_artists if a not in artists],
        "exclude_artists": list(dict.fromkeys([*spec.exclude_artists, *artists])),
        "seed_tracks": [t for t in spec.seed_tracks if t not in songs],
        "exclude_tracks": list(dict.fromkeys([*spec.exclude_tracks, *songs])),
        "genres": [g for g in spec.genres if g not in genres],
        "exclude_genres": list(dict.fromkeys([*spec.exclude_genres, *genres]))})
    fields = ("seed_artists", "seed_tracks", "genres", "exclude_artists", "exclude_tracks", "exclude_genres")
    found = (set(parsed.found) - set(fields)) | {name for name in fields if getattr(turned, name)}
    return replace(parsed, spec=turned, found=frozenset(found))


_ONE_SONG = re.compile(r"\b(?:song|track|tune|one)\b(?!s)")


# "remove 3 songs", "drop a few": that many fewer, from the end (as any cut)
_REMOVE_COUNT = re.compile(rf"^\W*(?:(?:please|can you|could you)\s+)*(?:remove|drop|cut|delete|take out|get rid of|"
                           rf"lose|ditch)\s+(?:(?P<n>{COUNT_WORDS})|a few|a couple(?: of)?|some)"
                           rf"(?:\s+(?:more\s+)?(?:songs|tracks|of them|of these))?(?:\s+please)?\W*$")
_ANOTHER = re.compile(r"\banother (?:one|song|track|tune)\b|^\W*(?:add |one )?another\W*$")


def _added_count(low: str) -> int | None:
    m = re.search(rf"\b({COUNT_WORDS})\s+(?:more|other|extra|additional|new|similar|songs?|tracks?)\b", low) or \
        re.search(rf"\banother\s+({COUNT_WORDS})\b", low)  # "give me another 10"
    if m and (k := count_word(m.group(1))):
        return k
    return 1 if _ANOTHER.search(low) else None


def _without_caps(low: str) -> str:
    """`low` with its track lengths and caps per artist blanked, offsets kept: what is left states the playlist's
    length ("only songs under 4 minutes" states a track's, not a 4-minute playlist; "no more than one song per
    artist" a cap, not one song more)."""
    for f in sorted(find_track_length(low) + find_artist_cap(low), key=lambda f: -f.start):
        low = low[:f.start] + " " * (f.end - f.start) + low[f.end:]
    return low


def _playlist_lengths(low: str) -> list[Finding]:
    """The playlist lengths a message states (`_without_caps`)."""
    return find_length(_without_caps(low))


# "shorter songs", "longer tracks": each track's length, not the playlist's ("shorter songs" cut it to 10 tracks)
_TRACKS_SHORTER = re.compile(r"\b(?:shorter|quicker) (?:songs|tracks|ones|tunes)\b")
_TRACKS_LONGER = re.compile(r"\blonger (?:songs|tracks|ones|tunes)\b")
# "skip the long ones" (the catalog lacked "the long ones"), "drop the short songs": only those past a step
_TURNED_AWAY = (r"\b(?:skip|remove|drop|cut|lose|ditch|no|no more|fewer|less|get rid of|take out|too many|"
                r"(?:don'?t|do not) (?:want|like)) (?:(?:the|any|all the|those|these)\s+)?(?:really |very |super )?")
_LONG_AWAY = re.compile(rf"{_TURNED_AWAY}long (?:songs|tracks|ones|tunes)\b")
_SHORT_AWAY = re.compile(rf"{_TURNED_AWAY}short (?:songs|tracks|ones|tunes)\b")
TRACK_MINUTES_STEP = 0.5  # how far "shorter songs" moves a track's length past the playlist's mean, in minutes


def _track_lengths_moved(low: str, tracks: list[Track], parsed: ParsedRequest) -> Edit | None:
    """"shorter songs" / "longer songs": every track shorter / longer than the playlist's mean by a step; "skip the
    long ones" / "drop the short ones": none longer / shorter than the mean by a step."""
    shorter = _TRACKS_SHORTER.search(low) or _LONG_AWAY.search(low)
    longer = _TRACKS_LONGER.search(low) or _SHORT_AWAY.search(low)
    minutes = [t.duration_ms / 60_000 for t in tracks if t.duration_ms]
    if bool(shorter) == bool(longer) or "track_minutes" in parsed.found or not minutes:
        return None
    mean = sum(minutes) / len(minutes)
    step = -TRACK_MINUTES_STEP if (shorter or longer).re in (_LONG_AWAY, _SHORT_AWAY) else TRACK_MINUTES_STEP
    moved = Range(max=round(max(mean - step, 1.0), 1)) if shorter else Range(min=round(mean + step, 1))
    spec = parsed.spec.model_copy(update={"track_minutes": moved})
    return Edit("refine", parsed=replace(parsed, spec=spec, found=parsed.found | {"track_minutes"}))


def _length(low: str, tracks: list[Track], spec: PlaylistSpec) -> Edit | None:
    n = len(tracks)
    if (m := _REMOVE_COUNT.match(low)) and (k := count_word(m.group("n")) if m.group("n") else DEFAULT_MORE) < n:
        return Edit("length", n_tracks=n - k)  # "remove 3 songs" cut the playlist to 3, "drop a few" asked which
    if _MANY_MORE.search(low):  # "you sent only one song, add a lot more" added one
        return Edit("length", n_tracks=n + MANY_MORE, add=MANY_MORE)
    counted = _without_caps(low)
    findings = find_length(counted)
    add = _added_count(counted)
    if add and _ADD.search(counted):
        return Edit("length", n_tracks=n + add, add=add)
    if m := _ADD_VAGUE.search(counted):
        add = 2 if m.group("k") == "couple" else DEFAULT_MORE
        return Edit("length", n_tracks=n + add, add=add)
    for f in findings:
        bound = said.value if (said := length_bound(counted, f.start, f.end)) else "about"
        if f.field == "minutes":
            if _ADD_START.match(low):  # "add 10 minutes": 10 more
                return Edit("length", minutes=round(sum(t.duration_ms or 0 for t in tracks) / 60_000 + f.value, 1))
            return Edit("length", minutes=round(float(f.value), 1), bound=bound)
        if f.field == "n_tracks":
            if int(f.value) < n and _VAGUE_COUNT.search(low[f.start:f.end]) and not _SHORTER.search(low):
                return Edit("length", n_tracks=n + int(f.value), add=int(f.value))  # "a couple songs": more
            return Edit("length", n_tracks=int(f.value), bound=bound)
    if (m := _KEEP_FIRST.search(low)) and (k := count_word(m.group(1))) and k < n:
        return Edit("length", n_tracks=k)
    if _DOUBLE.search(low):
        return Edit("length", n_tracks=2 * n)
    if _HALVE.search(low):
        if spec.minutes is not None and spec.n_tracks is None:
            return Edit("length", minutes=round(spec.minutes / 2, 1))
        return Edit("length", n_tracks=max(1, round(n / 2)))
    said = low
    for f in reversed(find_track_length(low)):  # "no songs longer than 4 minutes": each song's, not the playlist's
        said = said[:f.start] + " " + said[f.end:]
    if _SHORTER.search(said):
        if spec.minutes is not None and spec.n_tracks is None:
            return Edit("length", minutes=round(spec.minutes * SHORTER, 1))
        return Edit("length", n_tracks=max(1, round(n * SHORTER)))
    if _LONGER.search(said):
        return Edit("length", n_tracks=max(n + DEFAULT_MORE, round(n * LONGER)))
    if _MORE_TRACKS.search(said):
        return Edit("length", n_tracks=n + DEFAULT_MORE, add=DEFAULT_MORE)
    return None
