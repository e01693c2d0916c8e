"""Request understanding on the real catalog's vocabulary (no embeddings needed) and with a real LLM server."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from assistant.lexicon import MOODS, clean, mood_ranges, parse_years, without_pointers
from assistant.llm import create_llm
from assistant.spec import MAX_TRACKS, PlaylistSpec
import assistant.understand
import assistant.vocabulary
from assistant.understand import (
    FeatureProposal,
    RequestParser,
    SpecProposal,
    merge_proposal,
    propose_spec,
    respell_moods,
    understand,
)
from assistant.vocabulary import Vocabulary
from retrieval.catalog import Catalog
from retrieval.filters import Range, TrackFilter, filter_mask
from retrieval.index import TrackIndex
from retrieval.settings import Settings
from tests.conftest import free_port

CCR = "Creedence Clearwater Revival"


@pytest.fixture(scope="module")
def vocab(catalog: Catalog) -> Vocabulary:
    return Vocabulary.from_tracks(catalog.tracks)


@pytest.fixture(scope="module")
def parser(vocab: Vocabulary) -> RequestParser:
    return RequestParser(vocab)


@pytest.fixture(scope="module")
def by_id(catalog: Catalog) -> dict[str, Any]:
    return catalog.by_id()


def _check(spec: PlaylistSpec, expected: dict[str, Any], by_id: dict[str, Any]) -> None:
    for name, want in expected.items():
        if name == "features":
            assert set(spec.features) == set(want), spec.features
            for feature, (lo, hi) in want.items():
                assert (spec.features[feature].min, spec.features[feature].max) == (lo, hi), feature
        elif name in ("seed_tracks", "exclude_tracks"):
            # (title, artist); an empty artist accepts any version of the title
            got = [(by_id[t].title, by_id[t].artist) for t in getattr(spec, name)]
            assert len(got) == len(want), got
            for (title, artist), (want_title, want_artist) in zip(got, want):
                assert title == want_title and artist == (want_artist or artist), got
        else:
            assert getattr(spec, name) == want, f"{name}: {getattr(spec, name)!r} != {want!r}"


CASES: list[tuple[str, dict[str, Any]]] = [
    # years
    ("chill 80s songs for studying", {"year_min": 1980, "year_max": 1989,
                                      "features": {"energy": (None, 0.65), "speechiness": (None, 0.08)}}),
    ("1990s hip hop", {"genres": ["rap"], "year_min": 1990, "year_max": 1999}),
    ("20s-30s jazz", {"year_min": 1920, "year_max": 1939}),  # one century for both (was 1930-2029)
    # a year or decade left open ("2000s and later" was the 2000s alone); a limit turned down keeps the other side
    ("only 2000s and later", {"year_min": 2000, "year_max": None}), ("2010+ hip hop", {"year_min": 2010}),
    ("from the 90s on", {"year_min": 1990, "year_max": None}),
    ("80s and earlier", {"year_min": None, "year_max": 1989}),
    ("rock, nothing older than the 2000s", {"year_min": 2000, "year_max": None, "description": "rock"}),
    ("take out anything before 2010", {"year_min": 2010, "year_max": None}),
    ("no songs after 2015", {"year_min": None, "year_max": 2015}),
    # "less" turns away from the popular too ("less popular" was hits only)
    ("less popular songs", {"popularity": "deep_cuts"}), ("more popular songs", {"popularity": "hits"}),
    ("Greetings. I want to create a karaoke playlist to sing along in the shower.", {"popularity": "hits"}),
    ("some R&B songs to sing along to", {"popularity": "hits", "genres": ["r&b"]}),  # songs people know
    ("I WANT TO LISTEN TO SOME BEYONCE", {"seed_artists": ["Beyoncé"]}),  # shouted: capitals mark no names
    # a name introduced by what it is; the song's words name no artist
    ("do you have the song Lightning Crashes", {"seed_tracks": [("Lightning Crashes", "Live")]}),
    ("how about the band named Live", {"seed_artists": ["Live"]}),
    ("I want to add songs from the group silk now from the 90s", {"seed_artists": ["Silk"]}),
    ("can you play the song No Scrubs", {"seed_tracks": [("No Scrubs", "TLC")], "exclude_artists": []}),
    # a title before "by <artist>" names no artist of its own (it was the artist STOP, and Queen)
    ("songs like Don't Stop Me Now by Queen", {"seed_tracks": [("Don't Stop Me Now - 2011 Mix", "Queen")],
                                               "seed_artists": []}),
    ("songs like Numb by Linkin Park and Yellow by Coldplay", {"seed_tracks": [("Numb", "Linkin Park"),
                                                                                ("Yellow", "Coldplay")]}),
    ("Great! It won't be a 50's reunion without Queen.", {"seed_artists": ["Queen"], "exclude_artists": []}),
    ("Stuff like the song The Magnificent Seven by The Clash?", {"seed_artists": ["The Clash"]}),
    ("Do you have any hip/hop music?", {"genres": ["rap"]}),
    ("Rock album book club", {"genres": ["rock"], "features": {}}),  # a club that reads sets no dance mood
    # "N" said as "and", a leader without the band: the catalog's names; not a phrase of common words
    ("Yes and can you add bone thugs and harmony", {"seed_artists": ["Bone Thugs-N-Harmony"]}),
    ("Can we add some reggae music similar to Bob Marley?", {"seed_artists": ["Bob Marley & The Wailers"]}),
    ("songs for my big brother's wedding", {"seed_artists": []}),
    ("i like them, can you add some of ushers", {"seed_artists": ["Usher"]}),  # a name's plural "s" typed
    ("some of the intros take so long", {"seed_artists": []}),
    # a first name alone, where a name is marked, for the one well-known artist whose name it begins (real turns);
    # not a Carmen the catalog lacks (its only Carmen of several tracks is little known), nor a film
    ("I love mercy from Kanye", {"seed_artists": ["Kanye West"]}),
    ("Songs like Kanye's new song, \"Violent Crimes\"?", {"seed_artists": ["Kanye West"]}),
    ("can you play some Britney too?", {"seed_artists": ["Britney Spears"]}),
    ("Recently listened to: Time to Move by Carmen", {"seed_artists": []}),
    ("songs from Frozen", {"seed_artists": []}),
    # an album of one artist, named as an album, seeds that artist; "album lately" names none
    ("Let's add 3 more songs from the definition album to round up the playlist", {"seed_artists": ["Jon Bellion"]}),
    ("Sorry, I mean to say similar to her Fame Monster album", {"seed_artists": ["Lady Gaga"]}),
    ("I've absolutely been loving movements first album lately", {"seed_artists": []}),
    ("Looking for an artist / album that will move me", {"seed_artists": []}),
    # a decade a modern song sounds like is a sound, not the years; bands "from 2010s inspired by X" are of 2010s
    ("Modern songs that sound like 80's rock", {"genres": ["rock"], "year_min": None, "year_max": None,
                                                "description": "Modern songs that sound like 80's rock"}),
    ("music that sounds like the 80s but made recently",
     {"year_min": None, "year_max": None, "description": "music that sounds like the 80s but made recently"}),
    ("Modern rock with heavy 60s/70s influence", {"year_min": None, "year_max": None}),
    ("Any modern bands from 2010s inspired by Curve", {"year_min": 2010, "year_max": 2019}),
    # "without" after a denial wishes the name in (the playlist "isn't" it without them); alone it leaves out
    ("it isnt 90s hip hop without snoop dogg", {"seed_artists": ["Snoop Dogg"], "exclude_artists": []}),
    ("It's not a party without Queen", {"seed_artists": ["Queen"], "exclude_artists": []}),
    ("90s hip hop without snoop dogg", {"seed_artists": [], "exclude_artists": ["Snoop Dogg"]}),
    # "no" that misses a name, or begins a title, turns nothing down (CPCD turns excluded them)
    ("there is no outkast on this list", {"seed_artists": ["OutKast"], "exclude_artists": []}),
    ("this is great no earth wind and fire?", {"seed_artists": ["Earth, Wind & Fire"], "exclude_artists": []}),
    ("rock, but no Queen?", {"seed_artists": [], "exclude_artists": ["Queen"]}),
    ("Anything similar to No Church in the Wild?", {"seed_tracks": [("No Church In The Wild", "")],
                                                    "exclude_artists": []}),
    ("Similar bands to AC/DC, Volbeat and Our Lady Peace?",
     {"seed_artists": ["AC/DC", "Volbeat"], "others_only": True}),
    ("Similar artists to Marilyn Manson (other than Nine Inch Nails)?",
     {"seed_artists": ["Marilyn Manson"], "exclude_artists": ["Nine Inch Nails"], "others_only": True}),
    # "Genre: words" is as common in titles as "Artist: Title": "Urbano: Latino Vibes" names no artist Urbano
    ("Urbano: Latino Vibes", {"seed_artists": []}),
    ("I do prefer them to not have any lyrics", {"features": {"instrumentalness": (0.5, None)}}),
    ("Adele and Sia type of music", {"seed_artists": ["Adele", "Sia"]}),  # the noun marks both (was Sia alone)
    # a complaint sets no mood ("too slow" was a tempo of at most 100); the chat moves the other way
    ("that one was way too heavy for me", {"features": {}}),
    ("Some of the Pink Floyd is too slow. Can we add some Pearl Jam?", {"features": {}}),
    # a mood turned away keeps the other side of its one bound; one asked for outranks it
    ("90s rock, no sad songs", {"features": {"valence": (0.35, None)}}),
    # "not too sad" as "nothing too sad" (it kept nothing); said beside a mood of that feature, it outranks it
    ("rock, not too sad", {"features": {"valence": (0.35, None)}}),
    ("breakup songs but not too sad", {"features": {"valence": (0.35, None)}}),
    ("rock, not sad", {"features": {}}),
    ("chill but not too sleepy", {"exclude_artists": []}),  # no Two Sleepy
    ("calm songs, nothing too slow", {"features": {"energy": (None, 0.5), "tempo": (100.0, None)}}),
    ("calm songs, nothing too energetic", {"features": {"energy": (None, 0.5)}}),
    ("these were not fun", {"features": {}}),  # "not" describes
    ("okay those recent additions are great", {"year_min": None}),  # the tracks just added, not the years
    ("You can give me most recent ones.", {"year_min": 2018}),
    ("Hi. I want to create a mood booster playlist for everyday use.",
     {"features": {"valence": (0.55, None), "energy": (0.55, None)}}),
    ("hello, i'm having a girls sleep over, can you make a playlist for me",  # a party, not sleep
     {"features": {"valence": (0.5, None), "danceability": (0.6, None)}}),
    ("90s to 00s r&b", {"year_min": 1990, "year_max": 2009}),
    ("'70s rock", {"genres": ["rock"], "year_min": 1970, "year_max": 1979}),
    ("pop songs before 2000", {"genres": ["pop"], "year_min": None, "year_max": 1999}),
    ("edm after 2010", {"genres": ["edm"], "year_min": 2011, "year_max": None}),
    ("latin music from 1995 to 2005", {"genres": ["latin"], "year_min": 1995, "year_max": 2005}),
    ("recent r&b", {"genres": ["r&b"], "year_min": 2018}),
    ("late 90s dance pop", {"genres": ["dance pop"], "year_min": 1996, "year_max": 1999}),
    ("old school hip hop", {"genres": ["rap"], "year_max": 1999}),
    ("new school rap", {"genres": ["rap"], "year_min": 2010, "year_max": None}),
    # "new" before a genre is recent, as "newer" is; not a new playlist, nor the genre "new wave"
    ("Put me on new Rock", {"genres": ["rock"], "year_min": 2018}),
    ("Looking for newer rock", {"genres": ["rock"], "year_min": 2018}),
    ("Lets make a new hip hop playlist", {"genres": ["rap"], "year_min": None}),
    ("Recommend me some new wave please", {"year_min": None}),
    ("the eighties and nineties", {"year_min": 1980, "year_max": 1999, "description": ""}),
    # genres and synonyms
    ("r and b slow jams", {"genres": ["r&b"], "features": {"tempo": (None, 100.0), "energy": (None, 0.6)}}),
    # a pace written as one word or with a hyphen ("I like up-tempo R&B" read the genre alone)
    ("I like up-tempo R&B", {"genres": ["r&b"], "features": {"tempo": (110.0, None), "energy": (0.6, None)}}),
    ("suggestions for downTempo electronic music",
     {"genres": ["edm"], "features": {"tempo": (None, 105.0), "energy": (None, 0.6)}}),
    ("soul music", {"genres": ["neo soul"]}),
    ("electronic workout mix", {"genres": ["edm"], "features": {"energy": (0.7, None), "tempo": (110.0, 180.0)}}),
    ("indie pop, no rap", {"genres": ["indie poptimism"], "exclude_genres": ["rap"]}),
    ("rock but no hard rock", {"genres": ["rock"], "exclude_genres": ["hard rock"]}),
    ("early 2000s pop punk", {"genres": ["rock"], "year_min": 2000, "year_max": 2003}),  # punk, not also pop
    ("no rap or trap please", {"genres": [], "exclude_genres": ["rap", "trap"]}),
    ("no more hip hop", {"genres": [], "exclude_genres": ["rap"]}),  # was genre rap
    # length
    ("20 songs for running", {"n_tracks": 20, "features": {"energy": (0.7, None), "tempo": (120.0, 185.0)}}),
    ("a dozen tracks of happy pop", {"n_tracks": 12, "genres": ["pop"], "description": "happy pop"}),
    ("40 minutes of calm music", {"minutes": 40.0, "n_tracks": None, "features": {"energy": (None, 0.5)}}),
    ("an hour of party music", {"minutes": 60.0, "features": {"danceability": (0.65, None), "energy": (0.65, None)}}),
    ("1.5 hours of focus music", {"minutes": 90.0}),
    # moods that meet in a single point contradict each other: "dinner" is calm, "party" is not
    ("music for a dinner, a party", {"features": {"speechiness": (None, 0.15), "danceability": (0.65, None)}}),
    ("music for a relaxing party", {"features": {"danceability": (0.65, None)}}),
    # a track's length is not the playlist's
    ("20 songs under 4 minutes each", {"n_tracks": 20, "minutes": None, "track_minutes": Range(max=4.0)}),
    ("rock songs no longer than 3:30", {"genres": ["rock"], "minutes": None, "track_minutes": Range(max=3.5)}),
    ("nothing longer than 5 minutes", {"minutes": None, "track_minutes": Range(max=5.0)}),
    ("get rid of anything over 6 minutes", {"track_minutes": Range(max=6.0)}),  # was 6 minutes or more
    ("remove the tracks under 2 minutes", {"track_minutes": Range(min=2.0)}),
    ("an hour of epic tracks over 7 minutes", {"minutes": 60.0, "track_minutes": Range(min=7.0)}),
    ("under 40 minutes of jazz", {"minutes": 40.0, "track_minutes": None, "length_bound": "at_most"}),
    # a bound on the playlist's length ("under an hour" once gave 60:02)
    ("an hour or less of chill indie", {"minutes": 60.0, "length_bound": "at_most", "description": "chill indie"}),
    ("at least 2 hours of house", {"minutes": 120.0, "length_bound": "at_least"}),
    ("45 minutes or more of soul", {"minutes": 45.0, "length_bound": "at_least"}),
    ("songs under 4 minutes for an hour", {"minutes": 60.0, "length_bound": "about", "track_minutes": Range(max=4.0)}),
    ("half an hour of mellow acoustic songs", {"minutes": 30.0,
                                               "features": {"energy": (None, 0.55), "acousticness": (0.5, None)}}),
    # a count is a number attached to a music noun, with a few describing words between
    ("8 upbeat dance pop tracks", {"n_tracks": 8, "genres": ["dance pop"],
                                   "features": {"energy": (0.6, None), "valence": (0.45, None)}}),
    ("a dozen chill songs", {"n_tracks": 12, "features": {"energy": (None, 0.65)}, "description": "chill songs"}),
    ("Make me 25 post-teen pop songs", {"n_tracks": 25, "genres": ["post-teen pop"]}),
    ("Make me 30 album rock songs", {"n_tracks": 30, "genres": ["album rock"]}),
    ("10 80s hits", {"n_tracks": 10, "year_min": 1980, "year_max": 1989, "popularity": "hits"}),
    ("8 Drake songs", {"n_tracks": 8, "seed_artists": ["Drake"]}),
    ("10 Maroon 5 songs", {"n_tracks": 10, "seed_artists": ["Maroon 5"]}),
    ("make it 6 tracks", {"n_tracks": 6}),
    ("give me 25", {"n_tracks": 25}),
    ("just 10 please", {"n_tracks": 10}),
    ("make it 20 and more upbeat", {"n_tracks": 20, "features": {"energy": (0.6, None), "valence": (0.45, None)}}),
    ("rock, 30 in total", {"n_tracks": 30, "genres": ["rock"]}),
    # ... but not a number inside a name, nor one that counts something else
    ("Maroon 5 songs", {"n_tracks": None, "seed_artists": ["Maroon 5"]}),
    ("2 Chainz songs", {"n_tracks": None, "seed_artists": ["2 Chainz"]}),
    ("Blink-182 songs", {"n_tracks": None, "seed_artists": ["blink-182"]}),
    ("twenty one pilots songs please", {"n_tracks": None, "seed_artists": ["Twenty One Pilots"]}),
    ("give me 50 Cent", {"n_tracks": None, "seed_artists": ["50 Cent"]}),
    ("songs like The 1975", {"year_min": None, "year_max": None, "seed_artists": ["The 1975"]}),
    ("songs like 6 Underground", {"n_tracks": None}),
    ("songs like 21 Guns", {"n_tracks": None, "seed_tracks": [("21 Guns", "Green Day")]}),
    ("something like 7 Years by Lukas Graham", {"n_tracks": None, "year_min": None,
                                                 "seed_tracks": [("7 Years", "Lukas Graham")]}),
    ("my 3 favourite songs are on repeat", {"n_tracks": None}),
    ("3 songs per artist", {"n_tracks": None, "max_per_artist": 3}),
    ("give me 90s hip hop", {"n_tracks": None, "year_min": 1990, "year_max": 1999, "genres": ["rap"]}),
    # caps per artist
    ("rock, max 2 per artist", {"max_per_artist": 2, "genres": ["rock"]}),
    ("no more than one song per artist", {"max_per_artist": 1, "exclude_artists": []}),
    ("too many by the same artist", {"max_per_artist": 1}),
    ("no artist more than twice", {"max_per_artist": 2, "seed_artists": []}),  # was the band TWICE
    ("rock, no band more than 3 times", {"max_per_artist": 3, "genres": ["rock"]}),
    ("rap from different artists", {"max_per_artist": 1, "genres": ["rap"]}),
    ("just some pop", {"max_per_artist": None}),
    # a cap on one artist: no playlist of three, the artist still wanted
    ("max 3 songs by Queen", {"n_tracks": None, "seed_artists": ["Queen"], "artist_caps": {"Queen": 3}}),
    ("classic rock, no more than one Queen song", {"genres": ["classic rock"], "artist_caps": {"Queen": 1}}),
    ("pop, but at most 2 songs from Taylor Swift", {"artist_caps": {"Taylor Swift": 2}, "max_per_artist": None}),
    ("only one song by Drake", {"artist_caps": {"Drake": 1}, "n_tracks": None}),
    ("just 3 songs by Queen", {"artist_caps": {}, "n_tracks": 3}),  # "just" caps at one only
    ("up to 2 Adele tracks", {"artist_caps": {"Adele": 2}}),
    ("give me 10 Drake songs", {"n_tracks": 10, "seed_artists": ["Drake"]}),  # the count extended no name
    ("just Kanye", {"seed_artists": ["Kanye West"]}),  # a first name after "just", as after "only"
    ("songs by kendrick", {"seed_artists": ["Kendrick Lamar"]}),  # after "by" in lowercase
    ("Songs of good people corrupted by rage and pain", {"seed_artists": []}),  # no Rage Against The Machine
    # exclusions
    ("pop without Drake", {"genres": ["pop"], "exclude_artists": ["Drake"], "seed_artists": []}),
    ("hip hop, no more Drake", {"exclude_artists": ["Drake"]}),
    ("songs like Green Day, less like Blink-182", {"seed_artists": ["Green Day"], "exclude_artists": ["blink-182"]}),
    ("trap without Drake and Future", {"genres": ["trap"], "exclude_artists": ["Drake", "Future"]}),
    # popularity
    ("nothing too famous", {"popularity": "deep_cuts"}),
    ("underground hip hop", {"popularity": "deep_cuts", "genres": ["rap"]}),
    ("hidden gems", {"popularity": "deep_cuts"}),
    # the famous ones complained of, or songs the listener knows already ("too mainstream" was hits only)
    ("these are all too mainstream", {"popularity": "deep_cuts"}), ("i already know all of these", {
        "popularity": "deep_cuts"}), ("indie songs I have never heard before", {"popularity": "deep_cuts"}),
    ("great. I know most of those.", {"popularity": "any"}),  # a remark (a CPCD turn), not a complaint
    # grandparents grew up with the oldies; a rainy Sunday morning is calm
    ("Songs for my grandparents!", {"year_max": 1979}), ("golden oldies", {"year_max": 1979}),
    ("old school hip hop", {"year_max": 1999}),
    ("rainy sunday morning coffee", {"features": {"energy": (None, 0.6)}}),
    # not knowing them is a complaint of the other side; praise of a new song is neither
    ("I don't know any of these", {"popularity": "hits"}),
    ("i have never heard of any of them", {"popularity": "hits"}),
    ("songs I've never heard before", {"popularity": "deep_cuts"}),
    ("Wow I've never heard that one before! When the Fever Broke is also perfect", {"popularity": "any"}),
    # "too much" turns down ("too much Drake" added three more like Drake, "too much rap" made it all rap)
    ("too much rap", {"genres": [], "exclude_genres": ["rap"]}),
    ("fewer rap songs", {"genres": [], "exclude_genres": ["rap"]}),  # was genre rap
    ("too many Drake songs", {"exclude_artists": ["Drake"]}),
    ("I can't get enough of Michael Jackson", {"seed_artists": ["Michael Jackson"], "exclude_artists": []}),
    ("chart hits from 2019", {"popularity": "hits", "year_min": 2019, "year_max": 2019}),
    ("top 10 songs of 2015", {"popularity": "hits", "n_tracks": 10, "year_min": 2015}),  # was any ten of 2015
    ("songs to fall asleep to, about 30 minutes", {"features": {"energy": (None, 0.4)}, "minutes": 30.0}),
    # remixes
    ("remixes ok", {"allow_remixes": True}),
    ("classic rock, no live versions", {"allow_live": False, "genres": ["classic rock"]}),
    ("studio versions only", {"allow_live": False}), ("live forever", {"allow_live": True}),
    ("dance pop, no remixes", {"allow_remixes": False, "genres": ["dance pop"]}),
    # ordering
    ("build up the energy", {"ordering": "rising"}),
    ("something to wind down", {"ordering": "falling", "description": "something"}),
    ("warm-up, peak, cool-down", {"ordering": "arc"}),
    ("I want from various artists that are from recent years.", {"max_per_artist": 1, "year_min": 2018}),
    ("more variety please", {"max_per_artist": 1}), ("a variety of artists", {"max_per_artist": 1}),
    ("share some more variation please", {"max_per_artist": 1}),
    ("Those might be too similar, though I do prefer them to not have any lyrics",
     {"max_per_artist": 1, "features": {"instrumentalness": (0.5, None)}}),
    # where the calm and the lively tracks go orders them; the mood word there asks for no such tracks
    ("party mix, start with something chill", {"ordering": "rising",
                                               "features": {"danceability": (0.65, None), "energy": (0.65, None)}}),
    ("a road trip mix that ends with the slower songs", {"ordering": "falling", "features": {"energy": (0.6, None)}}),
    ("like a DJ set", {"ordering": "arc"}),
    ("with smooth transitions", {"ordering": "smooth"}),
    # explicit features
    ("120 bpm", {"features": {"tempo": (114.0, 126.0)}}),
    ("between 90 and 110 bpm", {"features": {"tempo": (90.0, 110.0)}}),
    # a bound turned down keeps the other side ("nothing slower than 120 bpm" was at most 120)
    ("nothing slower than 120 bpm", {"features": {"tempo": (120.0, None)}}),
    ("no songs under 120 bpm", {"features": {"tempo": (120.0, None)}}),
    ("remove the songs under 120 bpm", {"features": {"tempo": (120.0, None)}}),  # as years' removals read
    ("without songs after 2015", {"year_min": None, "year_max": 2015}),
    ("nothing with energy below 0.5", {"features": {"energy": (0.5, None)}}),
    ("no more than 120 bpm", {"features": {"tempo": (None, 120.0)}}),
    ("no less than 100 bpm", {"features": {"tempo": (100.0, None)}}),
    ("workout mix, 140+ bpm", {"features": {"energy": (0.7, None), "tempo": (140.0, 180.0)}}),  # was 110-180
    ("road trip songs everyone can sing to", {"popularity": "hits"}),
    ("high energy low valence", {"features": {"energy": (0.7, None), "valence": (None, 0.35)}}),
    ("rock with the energy kept high", {"features": {"energy": (0.7, None)}, "genres": ["rock"]}),
    ("the tempo is up to you", {"features": {}}),
    ("chill but 120 bpm", {"features": {"energy": (None, 0.65), "tempo": (114.0, 126.0)}}),
    # numeric feature phrases: the feature's own scale, a percentage, BPM for tempo
    ("energy above 0.9", {"features": {"energy": (0.9, None)}}),
    ("valence below 30%", {"features": {"valence": (None, 0.3)}}),
    ("tempo over 120", {"features": {"tempo": (120.0, None)}}),
    ("danceability between 0.6 and 0.8", {"features": {"danceability": (0.6, 0.8)}}),
    ("at least 70% danceability", {"features": {"danceability": (0.7, None)}}),
    ("energy around 0.5, 20 songs", {"features": {"energy": (0.4, 0.6)}, "n_tracks": 20}),
    ("high energy 10 songs", {"features": {"energy": (0.7, None)}, "n_tracks": 10}),
    ("high energy 90s rock", {"features": {"energy": (0.7, None)}, "year_min": 1990, "genres": ["rock"]}),
    ("tempo over 300", {"features": {}}),
    ("energy above 2.5", {"features": {}}),
    # moods: negated, contradictory
    ("not sad", {"features": {}}),
    ("sad songs but not too slow", {"features": {"valence": (None, 0.35), "tempo": (100.0, None)}}),
    ("going through something depressing and need happy tunes", {"features": {}}),
    ("instrumental music for sleep", {"features": {"instrumentalness": (0.5, None), "energy": (None, 0.4)}}),
    # a phrase of its own: a dinner party is no dance floor (the two moods cancelled out), a first dance is slow
    ("background music for a dinner party, nothing too loud", {"features": {"energy": (None, 0.65),
                                                                            "speechiness": (None, 0.15)}}),
    ("wedding first dance songs", {"features": {"energy": (None, 0.6)}, "genres": []}),  # was edm
    # songs with a voice turned away are instrumental ones ("no songs with vocals" read nothing)
    ("no songs with vocals", {"features": {"instrumentalness": (0.5, None)}}),
    ("remove all the songs with lyrics", {"features": {"instrumentalness": (0.5, None)}}),
    ("Those still have a lot of lyrics. How about some Tycho?", {"features": {}}),  # a CPCD turn: no vocal wish
    # artists: initialisms, accents, articles, misspellings, ordinary words
    ("songs like ccr", {"seed_artists": [CCR]}),
    ("songs like the weeknd", {"seed_artists": ["The Weeknd"]}),
    ("something like beyonce", {"seed_artists": ["Beyoncé"]}),
    ("songs like radiohed", {"seed_artists": ["Radiohead"]}),
    ("music like jamiroqai and the weekend", {"seed_artists": ["Jamiroquai", "The Weeknd"]}),
    ("I love Radiohead's music", {"seed_artists": ["Radiohead"]}),
    # a common word's possessive opening the request, before a music noun: the band's (nothing was read)
    ("Queen's greatest hits", {"seed_artists": ["Queen"], "popularity": "hits"}),
    ("My queen's favourite songs", {"seed_artists": []}),
    ("I like Future", {"seed_artists": ["Future"]}),
    ("future bass for the summer", {"seed_artists": []}),
    ("songs by Queen", {"seed_artists": ["Queen"]}),
    ("songs for a queen", {"seed_artists": []}),
    ("music like The Band", {"seed_artists": ["The Band"]}),
    ("songs for the band trip", {"seed_artists": []}),
    # seed tracks
    ("Music similar to CCR's Travelin' Band?", {"seed_tracks": [("Travelin' Band", CCR)], "seed_artists": []}),
    ("Fortunate Son by CCR", {"seed_tracks": [("Fortunate Son", CCR)]}),
    ("similar to Blackout by Blasterjaxx", {"seed_tracks": [("Blackout", "Blasterjaxx")]}),
    ("Songs similar to Blackout by Boris", {"seed_tracks": [], "seed_artists": []}),
    ("Bad Moon Rising - Creedence Clearwater Revival", {"seed_tracks": [("Bad Moon Rising", CCR)]}),
    ("songs like Bad Moon Rising", {"seed_tracks": [("Bad Moon Rising", CCR)]}),
    ("Songs like Kiss from a Rose", {"seed_tracks": [("Kiss from a Rose", "")]}),
    # quoted titles are read whole: version notes, brackets and dashes included, no word of them a constraint
    ('like "Ordinary Man (feat. Elton John)" by Ozzy Osbourne',
     {"seed_tracks": [("Ordinary Man (feat. Elton John)", "Ozzy Osbourne")], "seed_artists": []}),
    ('no remixes, like "We Don\'t Talk Anymore - Junge Junge Remix" by Charlie Puth',
     {"seed_tracks": [("We Don't Talk Anymore - Junge Junge Remix", "Charlie Puth")], "allow_remixes": False}),
    ('like "(There You Go) Tellin\' Me No Again - 2007 Remaster" by Keith Sweat',
     {"seed_tracks": [("(There You Go) Tellin' Me No Again - 2007 Remaster", "Keith Sweat")], "year_min": None}),
    ('like "Touched - Original Club Mix" by EDX', {"seed_tracks": [("Touched - Original Club Mix", "EDX")],
                                                   "features": {}}),
    ('like "People Crying Every Night" by A R I Z O N A',
     {"seed_tracks": [("People Crying Every Night", "A R I Z O N A")], "features": {}}),
    ('songs like "Torn (feat. Emelie Cyréus)"', {"seed_tracks": [("Torn (feat. Emelie Cyréus)", "")]}),
    # one quoted word after "like" is that title (the quote mark parted it from "like"), the most popular version
    ('songs like "Jolene"', {"seed_tracks": [("Jolene", "Dolly Parton")]}),
    ('songs similar to "me and your mama"', {"seed_tracks": [("Me and Your Mama", "Childish Gambino")]}),
    # turned down in other words; "BIG" still ends a name
    ("hmmm not liking the spice girls or kriss kross, how about something more like sneaker pimps?",
     {"exclude_artists": ["Spice Girls", "Kris Kross"], "seed_artists": []}),
    ("I am not really a fan of Harry Styles, but we can add some Justin Bieber songs.",
     {"exclude_artists": ["Harry Styles"], "seed_artists": ["Justin Bieber"]}),
    ("rappers smooth and lyrically consistent like Notorious BIG", {"seed_artists": ["The Notorious B.I.G."]}),
    ("Definitely not any Michael Jackson! I'd prefer Elton John",
     {"exclude_artists": ["Michael Jackson"], "seed_artists": ["Elton John"]}),
    # a quoted title by an artist the catalog lacks is no search word, nor is its quote mark left behind
    ('Looking for songs similar to "Cantara" by Dead Can Dance', {"description": "songs similar"}),
    ('Similar songs to "the Hound and the Fox" by I The Mighty?', {"description": "Similar songs to?"}),
    # a title before "by <Name>" sets nothing: no deep cuts from "Underground", no remixes from "Remix"
    ("Similar to 6 Underground by Sneaker Pimps?", {"popularity": "any", "n_tracks": None}),
    ("songs similar to the Sunslammer Cement City Remix by Homestuck?", {"allow_remixes": False}),
    ('like "Jump" by Van Halen but no Drake', {"seed_tracks": [("Jump", "Van Halen")], "exclude_artists": ["Drake"]}),
    # the context before a title says whether it is excluded, and its artist is then no seed
    ('rap, but not "Shadow of the Day" by Linkin Park',
     {"exclude_tracks": [("Shadow of the Day", "Linkin Park")], "seed_tracks": [], "seed_artists": []}),
    ('10 songs, but not "More Than You Know" by Axwell /\\ Ingrosso',
     {"exclude_tracks": [("More Than You Know", "Axwell /\\ Ingrosso")], "seed_artists": [], "n_tracks": 10}),
    ("songs like Shadow of the Day by Linkin Park but not Numb by Linkin Park",
     {"seed_tracks": [("Shadow of the Day", "Linkin Park")], "exclude_tracks": [("Numb", "Linkin Park")],
      "seed_artists": [], "description": "songs like Shadow of the Day by Linkin Park"}),
    ('like "A Song Nobody Wrote" by Drake', {"seed_artists": ["Drake"], "seed_tracks": []}),
    ('Similar songs to "Endless Summer" by The Midnight?', {"seed_artists": ["The Midnight"], "features": {}}),
    ('Songs like "Danse Macabre" by the Oh Hellos?', {"seed_artists": [], "seed_tracks": []}),
    ('anyone similar to Johnny Flynn? I particularly enjoy "Hard Road" by him', {"seed_artists": []}),
    ('Looking for something similar to "Buttercup - Jack Stauber"', {"seed_tracks": []}),
    # a region is no band: "east coast" once added the band Coast; the band itself is still read
    ("more east coast stuff", {"seed_artists": []}), ("more west coast rap", {"seed_artists": [], "genres": ["rap"]}),
    ("more coast stuff", {"seed_artists": ["Coast"]}),
    # names may hold symbols, and a name marked by its context is not read as a constraint
    ("Similar bands to AC/DC, Volbeat and Panic! At The Disco",
     {"seed_artists": ["AC/DC", "Volbeat", "Panic! At The Disco"]}),
    ("12 songs, but no Axwell /\\ Ingrosso", {"exclude_artists": ["Axwell /\\ Ingrosso"], "n_tracks": 12}),
    ("similar to Too $hort", {"seed_artists": ["Too $hort"]}),
    ("something like Drake but mellower", {"seed_artists": ["Drake"], "features": {"energy": (None, 0.55)}}),
    ("like Drake, only sadder", {"seed_artists": ["Drake"], "features": {"valence": (None, 0.35)}}),
    ("southern hip hop, similar to Dimelo Flow", {"seed_artists": ["Dimelo Flow"], "ordering": "retrieved"}),
    ("songs with good flow", {"ordering": "smooth"}),
    ('"Duet mashups" of two different songs that fit really well?', {"n_tracks": None}),
    ('not "A Song Nobody Wrote" by Drake', {"seed_artists": [], "exclude_artists": [], "seed_tracks": []}),
    # another artist's song of the same title is not the one meant (the catalog has Wage War's "Who I Am")
    ("songs like Who I Am (Sim Simma) by Beanie Man", {"seed_artists": ["Beenie Man"], "seed_tracks": []}),
    # capitalised words after "by" go on naming an artist the catalog lacks; a known name ends where it ends
    ('Looking for songs similar to "Cantara" by Dead Can Dance', {"features": {}, "seed_artists": []}),
    ("songs by Queen Rock anthems", {"genres": ["rock"]}),
    ("Something by Dead Can Dance, but upbeat", {"features": {"energy": (0.6, None), "valence": (0.45, None)}}),
    # after "my", a lone name is a person ("my Brothers wedding"), unless a fan is meant
    ("Please suggest me some songs to pass to the DJ for my Brothers wedding!", {"seed_artists": []}),
    ("songs my Queen fan dad would like", {"seed_artists": ["Queen"]}),
    # "bands like X": X is a reference, the listener asks for other artists; "songs like X" may be X's
    ("Looking for artists similar to Daft Punk.", {"seed_artists": ["Daft Punk"], "others_only": True}),
    ("Any bands similar to Alvvays and Pixies?", {"seed_artists": ["Alvvays", "Pixies"], "others_only": True}),
    ("songs like Daft Punk", {"seed_artists": ["Daft Punk"], "others_only": False}),
    ("Songs/bands like Sweet", {"seed_artists": ["Sweet"], "others_only": False}),
    # turning away from a genre; a chart is no count; how a request opens is no description
    ("Could we move away from the rock genre?", {"exclude_genres": ["rock"], "genres": []}),
    ("anything but rock", {"exclude_genres": ["rock"], "genres": []}),
    # "don't like", "not into": a verb between the negator and the genre; "Nothing like classic rock!" praises
    ("We don't like rock music", {"exclude_genres": ["rock"], "genres": []}),
    # "comparable to" names a reference as "similar to" does ("Soad": System Of A Down's initials)
    ("Band comparable to Soad", {"seed_artists": ["System Of A Down"], "others_only": True}),
    # a song the catalog lacks, named beside its catalog artist, is a title: no "dance" or "running" mood
    ("songs like dance little liar by arctic monkeys?", {"seed_artists": ["Arctic Monkeys"], "features": {}}),
    ("Any songs like milky chance - running ?", {"seed_artists": ["Milky Chance"], "features": {}}),
    ("Song Similar like Under The Water - AURORA and Hit and Run - LOLO", {"seed_artists": ["LOLO"], "features": {}}),
    ("chill songs - Drake", {"seed_artists": ["Drake"], "features": {"energy": (None, 0.65)}}),
    ("music like sad songs by Adele", {"seed_artists": ["Adele"], "features": {"valence": (None, 0.35)}}),
    ("hip hop, but please don't play any Drake", {"exclude_artists": ["Drake"], "seed_artists": [], "genres": ["rap"]}),
    ("rock that won't play any rap", {"exclude_genres": ["rap"], "genres": ["rock"]}),
    ("I like them, except for jump around by house of pain.",
     {"exclude_tracks": [("Jump Around", "House Of Pain")], "seed_tracks": [], "seed_artists": []}),
    ("not into rap, but some pop", {"exclude_genres": ["rap"], "genres": ["pop"]}),
    ("I'm not into blondie, more upbeat", {"exclude_artists": ["Blondie"], "seed_artists": []}),
    ("Nothing like classic rock, keep this going!", {"genres": ["classic rock"], "exclude_genres": []}),
    # a home is no house music; chores and hikes have moods of their own
    ("an 80s playlist to listen while I decorate my house", {"genres": [], "year_min": 1980}),
    ("music for cleaning around the house",
     {"genres": [], "features": {"energy": (0.6, None), "valence": (0.5, None)}}),
    ("house music for a party", {"genres": ["edm"]}), ("a playlist for hiking", {"features": {"energy": (0.55, None)}}),
    ("all genres except rap", {"exclude_genres": ["rap"], "genres": []}),
    # a genre the catalog lacks, negated, is no word to search for; named, it stays for the builder
    ("rock, no jazz", {"genres": ["rock"], "description": "rock"}),
    ("no country or blues please, some rap", {"genres": ["rap"], "description": "some rap"}),
    ("jazz for dinner", {"description": "jazz for dinner"}),
    ("k-pop for the gym", {"genres": ["pop"]}),  # its "pop" still reads
    ("anything other than rap", {"exclude_genres": ["rap"], "description": "anything"}),
    ("pop rather than rock", {"genres": ["pop"], "exclude_genres": ["rock"], "description": "pop"}),
    ("some more 80's top 40 on this list", {"popularity": "hits", "n_tracks": None, "year_min": 1980}),
    ("top 40 songs of the 80s", {"n_tracks": 40}),
    # in the chart, not a count: "some songs in the top 100" asked for 100 tracks
    ("Suggest some songs in the top 100 RnB chat.", {"popularity": "hits", "n_tracks": None, "genres": ["r&b"]}),
    ("top 10 rock songs", {"n_tracks": 10, "popularity": "any"}),
    ("I want from various artists that are from recent years.", {"seed_artists": [], "year_min": 2018}),
    ("I want to hear some rock", {"description": "some rock", "genres": ["rock"]}),
    # what the songs are about: a subject, cut from the description; its mood words count as moods too
    ("songs about rain", {"about": "rain", "description": ""}),
    # "focusing on" a subject, not the mood for focusing ("music for focusing on work" keeps that)
    ("Any songs focusing on Harry's companions?", {"about": "harry's companions", "features": {}}),
    ("songs that focus on heartbreak", {"about": "heartbreak"}),
    ("Can I get a song or two about winning to top off the list?", {"about": "winning"}),
    ("songs for focusing on work", {"about": "", "features": {"speechiness": (None, 0.08), "energy": (None, 0.75)}}),
    ("Looking for pop songs about the end of the world", {"about": "the end of the world", "genres": ["pop"]}),
    ("20 sad songs about heartbreak from the 90s", {"about": "heartbreak", "n_tracks": 20, "year_min": 1990,
                                                    "year_max": 1999, "features": {"valence": (None, 0.35)}}),
    ("songs about feeling sad", {"about": "feeling sad", "features": {"valence": (None, 0.35)}}),
    ("chill indie songs about summer for the beach", {"about": "summer", "description": "chill indie for the beach"}),
    ("Songs about standing up for yourself?", {"about": "standing up for yourself"}),
    ("songs with the word 'night' in their titles", {"about": "night", "description": ""}),
    ("Songs about breakups that aren't angry", {"about": "breakups", "description": ""}),
    ("about 20 songs", {"about": "", "n_tracks": 20}),
    ("songs about 3 minutes long", {"about": "", "track_minutes": Range(min=2.5, max=3.5)}),
    ("Emo songs that aren't about girlfriends", {"about": ""}),
    ("no songs about love", {"about": ""}),
    ("I need a playlist for a Caribbean themed party", {"about": ""}),
    ("christmas songs by Mariah Carey", {"about": "", "seed_artists": ["Mariah Carey"]}),
    # combinations and the description
    ("upbeat 90s r&b, 25 songs, max 2 per artist, no Drake, no remixes, build up",
     {"genres": ["r&b"], "year_min": 1990, "year_max": 1999, "n_tracks": 25, "max_per_artist": 2,
      "exclude_artists": ["Drake"], "ordering": "rising", "allow_remixes": False, "description": "upbeat r&b",
      "features": {"energy": (0.6, None), "valence": (0.45, None)}}),
    ("chill songs for studying, 20 songs, no rap", {"description": "chill songs for studying", "n_tracks": 20,
                                                    "exclude_genres": ["rap"]}),
    ("Explosive tracks for HIIT", {"features": {"energy": (0.8, None), "tempo": (115.0, 185.0)}}),
    ("Songs with a really Evil/Sinister vibe?", {"features": {"valence": (None, 0.35)}}),
    ("Rainy days songs?", {"features": {"energy": (None, 0.6)}}),
    ("music for meditation", {"features": {"energy": (None, 0.45)}}),
    # moods of the real requests: "calming" (29 times), "relaxation", "dreamy", "ethereal"
    ("a calming rock playlist to listen to while i paint", {"genres": ["rock"], "features": {"energy": (None, 0.5)}}),
    ("music for relaxation", {"features": {"energy": (None, 0.55)}}),
    ("Looking for downtempo ethereal synthpop",
     {"genres": ["electropop"], "features": {"energy": (None, 0.55), "tempo": (None, 105.0)}}),
    ("something kinda atmospheric and somber", {"features": {"energy": (None, 0.6), "valence": (None, 0.35)}}),
    # years counted back from the catalog's latest (2020), not the band The Past; explicit years win over them
    ("music from the past 10 years", {"year_min": 2011, "year_max": None, "seed_artists": []}),
    ("Something in the last couple of decades", {"year_min": 2001, "description": "Something"}),
    ("an album reissue from earlier this year - Psych from the 70's", {"year_min": 1970, "year_max": 1979}),
    # the years said win over a vague "oldies"; "such hits as" names nobody (a catalog artist is called Such)
    ("some oldies, like rock and roll from the 1950s", {"year_min": 1950, "year_max": 1959, "genres": ["rock"]}),
    ("a classic playlist for when i am feeling blue including such hits as hank williams",
     {"seed_artists": [], "features": {"valence": (None, 0.4)}}),
    ("a playlist to pump me up while cooking", {"features": {"energy": (0.75, None), "valence": (0.5, None)}}),
    ("like Zoosters Breakout but simpler, not as epic", {"features": {}}),  # "not as" negates
    ("", {"description": "", "genres": [], "seed_artists": [], "features": {}}),
]


@pytest.mark.parametrize(("request_text", "expected"), CASES, ids=[c[0][:40] or "empty" for c in CASES])
def test_parser_cases(parser: RequestParser, by_id: dict[str, Any], request_text: str, expected: dict[str, Any]) -> None:
    _check(parser.parse(request_text), expected, by_id)


def test_explicit_fields_are_reported(parser: RequestParser) -> None:
    parsed = parser.analyse("dance pop, no remixes, 30 minutes")
    assert {"genres", "allow_remixes", "minutes"} <= parsed.found
    assert parsed.constrained
    assert not parser.analyse("something nice please").constrained


@pytest.mark.parametrize(("request_text", "unknown"), [
    ("Songs like Gnaw by Alex G", ["Alex G"]),
    ("Something like Ten Feet by Curio, but faster", ["Curio"]),
    ('Songs like "Music Sounds Better with You" by Stardust and "900 degrees" by Ian Pooley',
     ["Stardust", "Ian Pooley"]),
    ("stuff like Roygbiv by Boards of Canada", ["Boards of Canada"]),
    ("songs like Bohemian Rhapsody by Queen", []),  # in the catalog
    ("Songs like Who Am I by outcast", []),  # a misspelt catalog artist (OutKast)
    ("music inspired by Japan", []),  # a place as often as an artist
    ("Songs Like Stand By Me", []),  # "By" inside a title
    ("Old Songs but Covered by Metal/Rock Bands", []),  # a genre word
    ("Addicted to IGOR by Tyler, and looking for more", []),  # Tyler, The Creator, cut short
    ("something to fall asleep by", []),
    ("I like the songs by No Doubt also", []),  # in the catalog, although "no" starts it
])
def test_artists_the_catalog_lacks_are_reported_and_steer_nothing(parser: RequestParser, request_text: str,
                                                                   unknown: list[str]) -> None:
    parsed = parser.analyse(request_text)
    assert parsed.unknown_artists == unknown
    for name in unknown:
        assert name not in parsed.spec.description


def test_look_alike_letters_of_a_spoofed_request_are_read_as_latin(parser: RequestParser) -> None:
    """A real request written with Cyrillic look-alikes ("Еріс sоngs lіkе ...") got Russian rap for its letters."""
    spoofed = 'Еріс sоngs lіkе "Ваnk rоbbеrу рrоlоguе" & "brоthеrs іn аrms"?'
    assert clean(spoofed, 500) == 'Epic songs like "Bank robbery prologue" & "brothers in arms"?'
    assert clean("Табор уходит в небо", 500) == "Табор уходит в небо"  # real Cyrillic is left alone
    assert clean("Мумий Тролль and Βeatles", 500) == "Мумий Тролль and Beatles"
    spec = parser.parse(spoofed)
    assert spec.description.isascii() and "energy" in spec.features  # "epic" is read


def test_a_title_beside_an_artist_the_catalog_lacks_steers_nothing(parser: RequestParser) -> None:
    """Before, "Music like Portland by Bowling Shoes" searched "Portland" and led with Drake's hits."""
    parsed = parser.analyse("upbeat songs like Portland Oregon by Bowling Shoes")
    assert parsed.unknown_artists == ["Bowling Shoes"] and "Portland" not in parsed.spec.description
    assert set(parsed.spec.features) == {"energy", "valence"}
    assert parser.analyse("sad songs by Bowling Shoes").spec.description == "sad songs"


@pytest.mark.parametrize(("request_text", "artists"), [
    ("thank you, can you add more of rihanna", ["Rihanna"]), ("outkast", ["OutKast"]),
    ("cool. i like them, i also have a thing for adele", ["Adele"]),
    ("nice, please add some of drake", ["Drake"]), ("These are really cool songs, but add a little bit of ciara",
                                                   ["Ciara"]),
    ("The fall of troy and ambient synthy stuff", []), ("I would like to listen to some yacht rock", []),
    ("I'd love some bobby Mcferrin songs too", []), ("more summer songs", []),
    # "to" after a verb that turns to someone; not "in addition to adele" (she is there already)
    ("thank you, but the afro-beats were not as i expected. can we stick to tupac?", ["2Pac"]),
    ("yes sure. in addition to adele, please add some from faouzia too", []),
    ("we just need a couple more, how about gorillaz, stylo?", ["Gorillaz"]), ("how about rain", []),
])
def test_a_name_typed_in_lowercase(parser: RequestParser, request_text: str, artists: list[str]) -> None:
    """One uncommon word after a word that asks for someone, or alone: chat messages are often lowercase."""
    assert parser.parse(request_text).seed_artists == artists


@pytest.mark.parametrize(("request_text", "artists"), [
    ("great. i like Megan the stallion too", ["Megan Thee Stallion"]),  # misspelt, with "the" inside
    ("Do you have more Earth, Wind, and Fire?", ["Earth, Wind & Fire"]),  # commas inside
    ("songs like Tyler, The Creator", ["Tyler, The Creator"]),
    ("I like the songs by No Doubt also", ["No Doubt"]),  # "no" is a context word too
    # capitals opening a sentence do not make a request Title Case, where capitals would say nothing of names
    ("Anything that resembles Gunship and The Midnight?", ["Gunship", "The Midnight"]),
    ("Thank you! Also, throw in some Kaskade.", ["Kaskade"]),
    ("Basket Case is a good one! These are great", []),  # not the artist Case: a title opens the sentence
    ("Randy Travis would top it all off", []),  # not the band Travis
    ("Maybe Drake?", ["Drake"]),
    # capitals on artists' names do not make a request Title Case either: "Future" is a common word
    ("songs like Drake, Future and Migos", ["Drake", "Future", "Migos"]), ("I WANT SOME MIGOS", ["Migos"]),
    ("Love Songs For A Rainy Day", []),
    # a lowercase name followed by a rare word is the first name of someone else: not Luke, Silk or Buddy
    ("I'd like some newer country like luke combs style maybe", []), ("show more silk sonic", []),
    ("what about more buddy holly bro", []),
    ("ok, can i get some songs from lil nas", ["Lil Nas X"]),  # the name without its last letter
    ("artist like prince Freddie Jackson temptations", ["Prince", "Freddie Jackson"]),
    # misspelt after "some of" / "more of": a context for names like "like" or "by"
    ("lastly, some of Tylor swift", ["Taylor Swift"]), ("please, add more of david guettaa", ["David Guetta"]),
    ("can you add some of maverick city choir", []),  # one misspelt word and more name after it: not Mavrick
    # a whole message of one uncommon name is that artist, though its capital only opens the sentence
    ("Rihanna", ["Rihanna"]), ("Beegees", ["Bee Gees"]), ("Queen", []), ("Perfect", []),
    ("do you have anything from Jay Z", ["JAY-Z"]),  # not JAY-Z's song "Anything": the words only ask
    # the end of a longer capitalised name, after a small word, is no artist of its own: not Ghost
    ("What songs feel similar to 'Nice Witch' by In Love With a Ghost?", []), ("songs like Ghost", ["Ghost"]),
    # a short alias written as no everyday word is: "JayZ" (JAY-Z) with a capital inside
    ("Some of my favorite artists are JayZ and Eminem", ["JAY-Z", "Eminem"]),
    # nicknames, and letters for the symbols a name is written with; not "too short" (Too $hort): a phrase
    ("thank you, can you add a bit of Tupac?", ["2Pac"]), ("more Biggie please", ["The Notorious B.I.G."]),
    ("some asap rocky", ["A$AP Rocky"]), ("add some ty dolla sign", ["Ty Dolla $ign"]), ("I like Pink", ["P!nk"]),
    ("the playlist is too short", []),
    # in a list, words that spell an artist are that artist, not a title of the one before (SZA's "The Weekend")
    ("I also like Kali Uchis, SZA, The Weeknd, and Miguel.", ["Kali Uchis", "SZA", "The Weeknd", "Miguel"]),
    # a list's first name is marked by the name after its comma, as the later ones are by the name before theirs
    ("Great picks! How about some Aerosmith, The Clash, Survivor, Simple Minds, Duran Duran",
     ["Aerosmith", "The Clash", "Survivor", "Simple Minds", "Duran Duran"]),
    ("Older greenday, taking back sunday", ["Green Day", "Taking Back Sunday"]),
    ("Survivor, for the workout", []), ("Survivor, love songs", []),  # no name after the comma
])
def test_names_that_look_like_other_words(parser: RequestParser, request_text: str, artists: list[str]) -> None:
    spec = parser.parse(request_text)
    assert spec.seed_artists == artists and spec.seed_tracks == []


def test_artists_starting_with_words(vocab: Vocabulary) -> None:
    """The sorted look-up gives what a scan of every artist gives."""
    for words in ("lil", "the", "dj", "kanye", "a", "zzzz"):
        scanned = sorted(n for key, n in vocab.artists.items() if key.startswith(words + " "))
        assert sorted(vocab.artists_starting(words)) == scanned
        assert vocab.starts_artist(words) == bool(scanned)
    assert vocab.artist_names[vocab.artists_starting("kanye")[0]] == "Kanye West"


@pytest.mark.parametrize(("request_text", "artists", "years"), [
    # a message of names only names every one of them, though one alone is a word ("future") or run on
    ("TRAVIS SCOTT FUTURE YOUNG THUG", ["Travis Scott", "Future", "Young Thug"], None),
    ("lil baby dmx 2pac", ["Lil Baby", "DMX", "2Pac"], None),
    ("i like selena gomez, bazzi, charlie puth, etc", ["Selena Gomez", "Bazzi", "Charlie Puth"], None),
    ("I love the Bleachers, 1975, and Vampire Weekend", ["Bleachers", "The 1975", "Vampire Weekend"], None),
    ("Limp Bizkit Korn", ["Limp Bizkit", "Korn"], None),
    ("yes, nicki minaj and future", ["Nicki Minaj", "Future"], None),  # a reply's "yes" is no band
    # not when each name is a word, nor when a style is among them, nor two one-word names run on (one name the
    # catalog lacks); a year alone is a year
    ("queen and future", [], None), ("rock pop", [], None), ("Randy Travis", [], None),
    ("drop the weeknd", [], None),  # a verb, not the artist DROP (it asked for DROP and The Weeknd)
    ("Drake songs from 1975", ["Drake"], (1975, 1975)),
])
def test_a_message_of_names_only(parser: RequestParser, request_text: str, artists: list[str],
                                 years: tuple[int, int] | None) -> None:
    spec = parser.parse(request_text)
    assert spec.seed_artists == artists
    assert ((spec.year_min, spec.year_max) if spec.year_min else None) == years


@pytest.mark.parametrize(("request_text", "excluded", "seeds"), [
    # the words a turn-down's list goes on with are turned down: Metallica's louder songs, not Metallica
    ("Not a fan of Papa Roach or the louder Metallica songs.", ["Papa Roach"], ["Metallica"]),
    ("less Drake", ["Drake"], []), ("Less by Drake, and let's see what you have by DJ Khaled?", ["Drake"],
                                    ["DJ Khaled"]),
    ("i love Drake and the new Migos songs", [], ["Drake", "Migos"]),
])
def test_what_a_turn_down_spans(parser: RequestParser, request_text: str, excluded: list[str],
                                seeds: list[str]) -> None:
    spec = parser.parse(request_text)
    assert (spec.exclude_artists, spec.seed_artists, spec.features) == (excluded, seeds, {})


@pytest.mark.parametrize(("request_text", "songs"), [
    ("Zero 7 - In The Waiting Line", ["Zero 7 - In The Waiting Line"]),
    ("Something with a similar feel (kinda atmospheric) to Natalie Taylor - I Want it All",
     ["Natalie Taylor - I Want it All"]),
    ('Looking for songs like "Yoe Mase - PTSD"', ["Yoe Mase - PTSD"]),
    ("Bill Withers - Ain't No Sunshine", []),  # in the catalog: a seed
    ("Looking for songs similar to this - sparse production, no drums", []),
    ("Workout Music 2020 - Workout Hits 2020", []),  # words read as a mood and a popularity
    ("MUKKA- Russian band", []),
])
def test_songs_the_catalog_lacks(parser: RequestParser, request_text: str, songs: list[str]) -> None:
    parsed = parser.analyse(request_text)
    assert parsed.unknown_songs == songs
    for song in songs:
        assert song.split(" - ")[1] not in parsed.spec.description  # Natalie Taylor's song brings no Queen


def test_an_artist_and_title_written_with_a_dash(parser: RequestParser, by_id: dict[str, Any]) -> None:
    for text in ("songs like Bill Withers - Ain't No Sunshine", "songs like 'Bill Withers - Ain't No Sunshine'"):
        assert [(by_id[t].title, by_id[t].artist) for t in parser.parse(text).seed_tracks] == [
            ("Ain't No Sunshine", "Bill Withers")], text
    # after a dash, words that spell another artist (The Weeknd) are still a title: SZA's "The Weekend"; in a list
    # of names they are that artist (test_names_that_look_like_other_words)
    assert [by_id[t].artist for t in parser.parse("songs like SZA - The Weeknd").seed_tracks] == ["SZA"]
    # a quoted "artist - title": the artist is read although the catalog lacks that song, and not another
    # artist's song of the same title (Kings of Leon's "Be Somebody")
    spec = parser.parse('Looking for songs like "Thousand Foot Krutch - Be Somebody"')
    assert spec.seed_artists == ["Thousand Foot Krutch"] and spec.seed_tracks == []
    assert [by_id[t].title for t in parser.parse('songs like "Gunshot - Radio Edit" by John Christian').seed_tracks] \
        == ["Gunshot - Radio Edit"]


def test_words_that_only_ask_are_not_searched_for() -> None:
    from assistant.lexicon import without_filler

    assert without_filler("Help me find similar stuff, any suggestions?") == "me"
    assert without_filler("Looking for something like Daft Punk's early stuff") == "for like Daft Punk's early"
    assert without_filler("good vibes for a road trip") == "good vibes for a road trip"


@pytest.mark.parametrize(("request_text", "references", "description"), [
    ("songs like Nujabes", ["Nujabes"], "songs like"),  # its words steer nothing
    ("I like Aaron Copland and Philip Glass composers", ["Aaron Copland", "Philip Glass"], "composers"),
    ("Female rap artists over the age of 30? Like Lady Leshurr, or Sa-Roc.", ["Lady Leshurr", "Sa-Roc"], None),
    ("It's starting to feel like Christmas!", [], "It's starting to feel like Christmas!"),  # "like" compares
    ("Anything similar to Australian rapper Allday", [], None),  # a people's adjective
    ("Solos like Slip away by Mad Season", [], None),  # a title, by an artist
    ("songs like Blinding Lights", [], None), ("Songs Like Summer Nights", [], None),  # a catalog song; Title Case
    # a kind of music, written with capitals, is no name: its words stay
    ("something like Smooth Jazz", [], "something like Smooth Jazz"),
    ("music similar to Christmas Carols", [], "music similar to Christmas Carols"),
    # names after a lowercase "like" say nothing of Title Case: they are capitalised in either style
    ("Looking for bands like Moon Hooch and Too Many Zooz", ["Moon Hooch", "Too Many Zooz"], "like"),
    ("Songs or Artists similar to Ron Pope?", ["Ron Pope"], None),
    ("Something like Roderick Porter - Baby", [], None),  # an artist and a song: told once, as a song
])
def test_names_the_catalog_lacks_after_like(parser: RequestParser, request_text: str, references: list[str],
                                            description: str | None) -> None:
    parsed = parser.analyse(request_text)
    assert parsed.unknown_references == references
    assert description is None or parsed.spec.description == description


def test_genres_the_catalog_lacks_move_to_titles(vocab: Vocabulary) -> None:
    """The default catalog files nothing under jazz, funk or swing, but has "new jack swing"."""
    assert vocab.absent_genres("Smooth Jazz and some funk, no reggae") == ["jazz", "funk"]
    assert vocab.absent_genres("New Jack Swing classics") == []  # "swing" only inside a genre it has
    assert vocab.absent_genres("swing and new jack swing") == ["swing"]
    assert vocab.absent_genres("I want to create an Afrobeat playlist") == ["afrobeat"]  # said, as afrobeats was
    # the everyday noun is no genre, unless a music noun follows it
    assert vocab.absent_genres("Driving across the country to western Montana") == []
    assert vocab.absent_genres("the country songs of the 90s") == ["country"]
    # nor is it searched: "while cleaning the house" brought electro house
    cleaning = RequestParser(vocab).analyse("songs for cleaning the house").spec
    assert (cleaning.genres, cleaning.description) == ([], "songs for cleaning")
    # nor a word of a mood phrase that leans the other way alone: a calm "dinner party" searched "party" (EDM)
    dinner = RequestParser(vocab).analyse("music for a dinner party").spec
    assert dinner.description == "music for a dinner" and dinner.features["energy"].max is not None
    # inside a capitalised name it is no genre; after a common word written with a capital it still is
    assert vocab.absent_genres("something like Stickerbush Symphony from Donkey Kong Country 2") == []
    assert vocab.absent_genres("I Love Smooth Jazz") == ["jazz"]
    assert vocab.without_absent_genres("smooth Jazz for dinner", "rain") == ("smooth for dinner", "rain jazz")
    # a genre of several words stays: "trip" and "hop" alone would match "Road Trip" and "Hop Off a Jet"
    assert vocab.without_absent_genres("some trip-hop and jazz") == ("some trip-hop and", "jazz")
    assert vocab.without_absent_genres("rap for the gym") == ("rap for the gym", "")
    # turned down, they are told apart for the chat, which says the catalog holds none (it leaned to them)
    assert RequestParser(vocab).analyse("rock, but no jazz or Country").turned_down_absent == ["jazz", "Country"]
    assert RequestParser(vocab).analyse("rock and jazz").turned_down_absent == []


def test_understand_says_which_artists_the_catalog_lacks(vocab: Vocabulary) -> None:
    notices: list[str] = []
    spec = understand("Songs like Gnaw by Alex G, upbeat", vocab, notices=notices)
    assert notices == ["the catalog has no artist called Alex G: the playlist follows the request's other words"]
    assert "features" in spec.model_dump(exclude_defaults=True)  # the rest of the request still read
    quiet: list[str] = []
    understand("songs like Bohemian Rhapsody by Queen", vocab, notices=quiet)
    understand("songs like this one by Drake", vocab, notices=quiet)  # "this one" is named
    understand("I like this kind of music: 80s synthpop", vocab, notices=quiet)
    assert quiet == []
    pointed: list[str] = []
    understand("Really love this song. Any suggestions for similar electronic music?", vocab, notices=pointed)
    assert len(pointed) == 1 and pointed[0].startswith('the request points at something I cannot see ("this song")')
    greeted: list[str] = []  # a greeting before a dash is no "Artist - Title" (a CPCD first turn)
    understand("Hello - I'd like to create a Christmas playlist for a holiday dinner.", vocab, notices=greeted)
    assert greeted == []
    for request, pointer in (("Looking for these kinds of songs.", "these kinds of songs"),
                             ("What style of music is this? Any more?", "what style of music is this")):
        said: list[str] = []
        understand(request, vocab, notices=said)
        assert said and f'("{pointer}")' in said[0], request
    # the words pointing at it are not searched: "these kinds of songs" brought "These Days"
    assert without_pointers("Looking for these kinds of songs.") == "Looking for ."
    assert without_pointers("chill songs like this, for a run") == "chill songs , for a run"


def test_public_lexicon_functions(vocab: Vocabulary) -> None:
    assert mood_ranges("Chill")["energy"].max == 0.65
    assert mood_ranges("no such mood") is None
    assert parse_years("late 80s") == (1986, 1989)
    assert parse_years("nothing about years") is None
    assert vocab.resolve_artist("ccr") == CCR
    assert vocab.resolve_artist("the weekend") == "The Weeknd"
    assert vocab.resolve_artist("zzzz qqqq") is None
    assert vocab.resolve_genre("hip hop") == ["rap"]
    assert vocab.resolve_genre("polka") == []
    assert vocab.resolve_track("travelin band", CCR) is not None


def test_vocabulary_lives_in_its_own_module_and_is_reexported(vocab: Vocabulary, catalog: Catalog) -> None:
    for name in ("Vocabulary", "Token", "tokenize", "name_key", "title_key", "COMMON_TITLE_DF"):
        assert getattr(assistant.understand, name) is getattr(assistant.vocabulary, name)
    # a title written out resolves to that very version first, then to the title without version notes
    jump, by_id = vocab.resolve_track("Jump", "Van Halen"), catalog.by_id()
    assert jump is not None and by_id[jump].title == "Jump"
    assert by_id[vocab.resolve_track("Jump - 2015 Remaster", "Van Halen")].title == "Jump - 2015 Remaster"
    assert vocab.resolve_track("Jump - Live 1986", "Van Halen") == jump  # no such version: the plain one
    remix = vocab.resolve_track("We Don't Talk Anymore - Junge Junge Remix", "Charlie Puth")
    assert remix is not None and remix != vocab.resolve_track("We Don't Talk Anymore", "Charlie Puth")
    ozzy = vocab.resolve_track("Ordinary Man", "Ozzy Osbourne")
    assert ozzy is not None and vocab.resolve_track("Ordinary Man (feat. Elton John)") == ozzy
    assert vocab.resolve_track("Jump", "No Such Artist Anywhere") is None


def test_mood_ranges_keep_many_catalog_tracks(catalog: Catalog) -> None:
    # Every mood word must narrow the search without starving it: at least 5% of the 28k tracks.
    columns = {f: np.array([np.nan if getattr(t, f) is None else getattr(t, f) for t in catalog.tracks])
               for f in ("energy", "valence", "danceability", "acousticness", "instrumentalness", "speechiness", "tempo")}
    for word in MOODS:
        mask = np.ones(len(catalog.tracks), dtype=bool)
        for feature, r in mood_ranges(word).items():
            values = columns[feature]
            with np.errstate(invalid="ignore"):
                mask &= (values >= (r.min if r.min is not None else -np.inf)) & (values <= (r.max if r.max is not None else np.inf))
        assert mask.mean() >= 0.05, f"{word} keeps only {mask.mean():.1%} of the catalog"


NASTY = [
    "x" * 100_000,
    "\x00\x01\x02 rap \x7f\u200b\u202e",
    "🔥🎶💃 party vibes 🕺",
    "أريد أغاني هادئة من الثمانينات",
    "<script>alert('no rap')</script><b>80s</b>",
    "'; DROP TABLE tracks; -- songs like ccr",
    "\"\"\"''' by by by like like \" '",
    "- - - , , by",
    "99999 songs, 0 minutes, 1000 bpm, max 0 per artist, from 2090 to 1950",
    "İstanbul ǅ ß ﬁ Ⅻ",
]


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_nasty_inputs_give_valid_specs(parser: RequestParser, text: str) -> None:
    spec = parser.parse(text)
    assert PlaylistSpec.model_validate(spec.model_dump()) == spec
    assert len(spec.description) <= parser.max_chars


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300) | st.lists(st.sampled_from(
    ["like", "by", "no", "not", "without", "80s", "ccr", "Queen", "rap", "20", "songs", "minutes", "bpm", "-", ",",
     "'", '"', "max", "per", "artist", "from", "to", "1995", "chill", "Travelin'", "Band", "the", "weeknd"]),
    max_size=25).map(" ".join))
def test_any_text_yields_a_valid_spec(parser: RequestParser, text: str) -> None:
    spec = parser.parse(text)
    assert isinstance(spec, PlaylistSpec)
    assert PlaylistSpec.model_validate(spec.model_dump()) == spec
    assert set(spec.genres) | set(spec.exclude_genres) <= parser.vocab.labels
    assert set(spec.seed_artists) | set(spec.exclude_artists) <= set(parser.vocab.artist_names)


# --------------------------------------------------------------------------- the LLM merge


def test_merge_cleans_a_malicious_proposal(parser: RequestParser, vocab: Vocabulary) -> None:
    parsed = parser.analyse("pop songs from the 80s, something like queen")
    assert parsed.spec.seed_artists == []  # a lower-case ordinary word is not a name for the parser
    proposal = SpecProposal(
        description="Electric Slinky",
        genres=["Electric Slinky", "rock"],
        exclude_genres=["pop"],  # contradicts the request: dropped
        seed_artists=["Zzyzx Quintessential Orchestra Of Nowhere", "Queen", "Radiohead"],
        seed_titles=["Creep", "Bohemian Rhapsody"],  # never named in the request: dropped
        year_min=3000,
        year_max=1066,
        features=[FeatureProposal(name="energy", min=7), FeatureProposal(name="tempo", min=-5, max=100_000),
                  FeatureProposal(name="valence", min=0.2, max=0.6)],
        n_tracks=5000,
        minutes=-3,
        max_per_artist=0,
        popularity="hits",
        ordering="arc",
        allow_remixes=True,
    )
    spec = merge_proposal(parsed, proposal, vocab)
    assert spec.genres == ["pop"]  # the parser's explicit genre wins; "Electric Slinky" never gets in
    assert spec.exclude_genres == []
    assert (spec.year_min, spec.year_max) == (1980, 1989)
    assert spec.seed_artists == ["Queen"]  # real and named; Radiohead is real but never named
    assert spec.seed_tracks == []
    assert set(spec.features) == {"valence"}  # energy 7 and the unbounded tempo are dropped
    assert (spec.features["valence"].min, spec.features["valence"].max) == (0.2, 0.6)
    assert spec.n_tracks == MAX_TRACKS and spec.minutes is None and spec.max_per_artist is None
    small = merge_proposal(parsed, SpecProposal(n_tracks=1, features=[FeatureProposal(name="danceability", min=1e-11)]),
                           vocab)
    assert small.n_tracks is None and small.features == {}
    assert (spec.popularity, spec.ordering, spec.allow_remixes) == ("hits", "arc", True)
    assert spec.description == parsed.spec.description


def test_merge_leaves_a_subject_request_without_a_description(parser: RequestParser, vocab: Vocabulary) -> None:
    """"songs about rain" is said whole by its subject: an LLM's description ("rainy day songs") would spread the
    word over whole artists' catalogues again."""
    parsed = parser.analyse("songs about rain")
    spec = merge_proposal(parsed, SpecProposal(description="rainy day songs"), vocab)
    assert (spec.about, spec.description) == ("rain", "")
    plain = merge_proposal(parser.analyse("20 songs"), SpecProposal(description="rainy day songs"), vocab)
    assert plain.description == "rainy day songs"


def test_merge_alone_rejects_bad_years_and_genres(parser: RequestParser, vocab: Vocabulary) -> None:
    parsed = parser.analyse("something nice")
    spec = merge_proposal(parsed, SpecProposal(genres=["Electric Slinky"], year_min=3000, year_max=2100,
                                               features=[FeatureProposal(name="energy", min=0.95, max=3)]), vocab)
    assert spec.genres == [] and spec.year_min is None and spec.year_max is None and spec.features == {}


def test_understand_with_a_served_model_stays_grounded(llm_server_url: str, vocab: Vocabulary) -> None:
    llm = create_llm(Settings(llm_url=llm_server_url, llm_model="SmolLM2-135M-Instruct", llm_timeout=120))
    request = "upbeat 80s synthpop for a run, 20 songs"
    proposal = propose_spec(llm, request, vocab)  # the real model answers (an LLMError would fail the test)
    invented = [g for g in proposal.genres if not vocab.resolve_genre(g)]
    spec = understand(request, vocab, llm)
    assert not {g.lower() for g in invented} & set(spec.genres)
    assert set(spec.genres) | set(spec.exclude_genres) <= vocab.labels
    assert set(spec.seed_artists) | set(spec.exclude_artists) <= set(vocab.artist_names)
    for name, r in spec.features.items():
        assert not r.is_empty()
        assert all(0 <= v <= (250 if name == "tempo" else 1) for v in (r.min, r.max) if v is not None)
    # what the parser read from the request itself is kept
    assert (spec.year_min, spec.year_max, spec.n_tracks) == (1980, 1989, 20)


def test_understand_falls_back_when_the_llm_fails(parser: RequestParser, vocab: Vocabulary) -> None:
    dead = create_llm(Settings(llm_url=f"http://127.0.0.1:{free_port()}/v1", llm_timeout=2))
    request = "chill 80s songs like ccr, no rap"
    assert understand(request, vocab, dead) == parser.parse(request)


def test_understand_does_not_ask_the_embedded_model(parser: RequestParser, vocab: Vocabulary) -> None:
    embedded = create_llm(Settings(llm_backend="embedded"))
    request = "sad songs from the 90s"
    assert understand(request, vocab, embedded) == parser.parse(request)


def test_understand_on_an_index(slice_catalog: Catalog) -> None:
    tracks = slice_catalog.tracks
    index = TrackIndex(tracks, np.zeros((len(tracks), 384), dtype=np.float32), name="no vectors")
    assert Vocabulary.for_index(index) is Vocabulary.for_index(index)
    spec = understand("no rap, 90s r&b, max 2 per artist", index)
    assert spec.genres == ["r&b"] and spec.exclude_genres == ["rap"] and spec.max_per_artist == 2
    mask = filter_mask(index, spec.track_filter())
    assert mask.sum() > 0
    assert all(1990 <= t.year <= 1999 and "rap" not in t.genres for t in np.array(tracks, dtype=object)[mask])
    assert spec.track_filter() != TrackFilter()


def test_mood_words_typed_amiss_are_read(parser: RequestParser, vocab: Vocabulary):
    """Real CPCD turns: "more eergetic" was a name the catalog lacks, "insturmental" and "agressive" nothing."""
    assert parser.parse("Yes, they are more eergetic").features["energy"].min is not None
    assert parser.parse("Can you add some more insturmental songs?").features["instrumentalness"].min is not None
    assert "energy" in parser.parse("How about more agressive dubstep?").features
    # words the catalog or everyday English holds (in either number), names and capitalised words stay as written
    for kept in ("soaring choruses", "songs about breakups", "songs like candlebox", "some Eergetic band",
                 "like sinach", "so chill"):
        assert respell_moods(kept, vocab) == kept, kept
