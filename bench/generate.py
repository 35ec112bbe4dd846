"""Synthetic events for the benchmark: deterministic (seeded), skewed like real news.

Writes to OUT:
- events.ndjson: one EventCreate record a line, for `dyad import`. The first citation of a
  source gives the whole source (created on import); later ones name it by `source_id`.
- refs/actors.json (+ empty sources.json and events.json): the actors, loaded first through
  the seed loader, since events may only name actors that exist.
- meta.json: N, the seed, and a few terms with how many events each hits.

The skew is what makes the queries honest: a few dyads carry a large share of events (a dyad
page has hundreds of matches, a rare one a handful), years grow busier towards the present,
and words follow a Zipf law so that full-text terms have both frequent and rare hits.
"""

import random
import string
import sys
import time
from bisect import bisect
from itertools import accumulate
from pathlib import Path
from typing import Annotated, Any

import orjson
import pycountry
import typer

# Frequent dyads and their share of all events; the rest is a long tail of random pairs.
FREQUENT_DYADS = {
    "RUS-UKR": 0.06,
    "ISR-PSE": 0.05,
    "AZE-IRN": 0.04,
    "CHN-USA": 0.04,
    "ARM-AZE": 0.035,
    "IND-PAK": 0.03,
    "IRN-USA": 0.025,
    "KOR-PRK": 0.02,
    "CHN-TWN": 0.02,
    "RUS-USA": 0.02,
    "GRC-TUR": 0.01,
    "SAU-YEM": 0.01,
}
# Countries that make more news than others, in long-tail pairs too.
ACTIVE = ["USA", "RUS", "CHN", "GBR", "FRA", "DEU", "IRN", "TUR", "IND", "ISR", "UKR", "JPN"]
COOPERATIVE = ["agree", "consult", "support", "concede", "cooperate", "aid", "retreat", "request"]
CONFLICTUAL = [
    "accuse", "reject", "threaten", "protest", "sanction", "mobilize", "coerce", "assault"
]  # fmt: skip
VERBS = {
    "agree": "agrees with",
    "consult": "holds talks with",
    "support": "backs",
    "concede": "makes concessions to",
    "cooperate": "cooperates with",
    "aid": "sends aid to",
    "retreat": "withdraws from",
    "request": "asks",
    "accuse": "accuses",
    "reject": "rejects",
    "threaten": "threatens",
    "protest": "protests against",
    "sanction": "sanctions",
    "mobilize": "mobilizes against",
    "coerce": "detains citizens of",
    "assault": "strikes",
}
# Real words at the head of the Zipf law (the frequent search terms), then made-up words.
_DOMAIN_TEXT = (
    "border summit pipeline ceasefire embassy minister sanctions gas oil trade talks treaty "
    "refugees election army navy drone missile nuclear conference visit ambassador protest "
    "agreement corridor railway water dam energy grain wheat port airspace airbase exercise "
    "parliament president foreign ministry statement denial investment loan bank currency "
    "tariff customs visa diaspora minority language religion shrine mosque church television "
    "broadcast journalist prisoner release exchange hostage spy cyber hackers satellite space "
    "vaccine hospital earthquake flood drought wildfire heritage museum football olympics"
)
DOMAIN_WORDS = _DOMAIN_TEXT.split()
TAGS = [
    "diplomacy", "summit", "security", "energy", "trade", "military", "media", "human-rights",
    "migration", "culture", "religion", "economy", "sanctions", "border", "water", "health",
    "cyber", "elections", "law", "environment", "sport", "education", "transport", "nuclear",
    "espionage",
]  # fmt: skip
PUBLISHER_SUFFIXES = ["Times", "News", "Post", "Herald", "Agency", "Review", "Daily", "Monitor"]
SOURCE_KINDS = ["news"] * 6 + ["opinion", "official", "analysis", "academic"]
LANGUAGES = ["en"] * 6 + ["ru", "fa", "az", "ar", "zh", "fr", "de", "tr"]


def made_up_words(rng: random.Random, count: int, avoid: set[str]) -> list[str]:
    """Pronounceable made-up words, distinct from each other and from `avoid`."""
    consonants, vowels = "bdfgklmnprstvz", "aeiou"
    words: list[str] = []
    seen = set(avoid)
    while len(words) < count:
        syllables = rng.randint(2, 4)
        word = "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(syllables))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def zipf_cumulative(count: int, exponent: float = 1.0, shift: float = 0.0) -> list[float]:
    """Cumulative weights of a Zipf(-Mandelbrot) law: rank r weighs 1 / (r + shift)^exponent."""
    return list(accumulate(1.0 / ((rank + shift) ** exponent) for rank in range(1, count + 1)))


class Generator:
    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.rng = random.Random(seed)
        rng = self.rng
        every = sorted(pycountry.countries, key=lambda c: c.alpha_3)
        must = {code for pair in FREQUENT_DYADS for code in pair.split("-")} | set(ACTIVE)
        rest = [c.alpha_3 for c in every if c.alpha_3 not in must]
        self.codes = sorted(must | set(rng.sample(rest, 190 - len(must))))
        self.names = {
            c.alpha_3: getattr(c, "common_name", None) or c.name.split(",")[0]
            for c in every
            if c.alpha_3 in self.codes
        }
        # Activity of each country in the long tail: the active ones first, then a Zipf law.
        ordered = ACTIVE + [c for c in self.codes if c not in ACTIVE]
        self.tail_codes = ordered
        self.tail_cum = zipf_cumulative(len(ordered), 0.8)
        self.dyads = list(FREQUENT_DYADS)
        self.dyad_cum = list(accumulate(FREQUENT_DYADS.values()))
        self.frequent_share = self.dyad_cum[-1]
        # Years get busier towards the present (more sources, more events).
        self.years = list(range(1990, 2027))
        self.year_cum = list(accumulate(1 + (y - 1990) / 12 for y in self.years))
        self.words = DOMAIN_WORDS + made_up_words(rng, 6000, set(DOMAIN_WORDS))
        # Drawing words one by one is the slow part: draw a long Zipf-distributed stream once,
        # and give each text a slice of it at a random offset (the same law, far less work).
        # The shift flattens the head: the commonest word is in about half of the events.
        word_cum = zipf_cumulative(len(self.words), 1.0, 10)
        self.word_pool = rng.choices(self.words, cum_weights=word_cum, k=1 << 20)
        # Quotes draw from their own words, so that a title/summary term means the same
        # thing in Dyad (which also searches quotes) and in the peer (title and summary).
        self.quote_words = made_up_words(rng, 3000, set(self.words))
        self.quote_pool = rng.choices(
            self.quote_words, cum_weights=zipf_cumulative(len(self.quote_words), 1.0, 10), k=1 << 18
        )
        self.tag_cum = zipf_cumulative(len(TAGS))
        self.publishers = [
            f"{word.capitalize()} {rng.choice(PUBLISHER_SUFFIXES)}"
            for word in made_up_words(rng, 300, set(self.words) | set(self.quote_words))
        ]
        self.publisher_cum = zipf_cumulative(len(self.publishers))
        self.source_count = max(100, n // 4)
        self.sources_seen: set[int] = set()  # given whole by an event without links
        self.sources: dict[int, dict[str, Any]] = {}
        self.last_by_dyad: dict[str, str] = {}
        self.actors = self._actors()

    def _actors(self) -> dict[str, list[dict[str, Any]]]:
        """A few actors per country: its government, foreign ministry, leader and a broadcaster."""
        by_country: dict[str, list[dict[str, Any]]] = {}
        for code in self.codes:
            low, name = code.lower(), self.names[code]
            leader = " ".join(w.capitalize() for w in made_up_words(self.rng, 2, set()))
            by_country[code] = [
                {"id": f"government-of-{low}", "name": f"Government of {name}",
                 "kind": "government"},
                {"id": f"{low}-foreign-ministry", "name": f"{name} Foreign Ministry",
                 "kind": "government"},
                {"id": f"{low}-leader", "name": leader, "kind": "person"},
                {"id": f"{low}-state-tv", "name": f"{name} State Television", "kind": "media"},
            ]  # fmt: skip
            for actor in by_country[code]:
                actor["country"] = code
        return by_country

    def _pick(self, items: list[str], cum: list[float], k: int) -> list[str]:
        return self.rng.choices(items, cum_weights=cum, k=k)

    def _int(self, low: int, high: int) -> int:
        """randint without its checks: it is called millions of times."""
        return low + int(self.rng.random() * (high - low + 1))

    def _text(self, pool: list[str], low: int, high: int) -> list[str]:
        """Between low and high words of a pre-drawn pool."""
        size = low + int(self.rng.random() * (high - low + 1))
        start = int(self.rng.random() * (len(pool) - size))
        return pool[start : start + size]

    def _pair(self) -> tuple[str, str]:
        rng = self.rng
        if rng.random() < self.frequent_share:
            a, b = self.dyads[bisect(self.dyad_cum, rng.random() * self.frequent_share)].split("-")
        else:
            while True:
                a, b = self._pick(self.tail_codes, self.tail_cum, 2)
                if a != b:
                    break
        return (a, b) if rng.random() < 0.5 else (b, a)

    def _date(self) -> tuple[str, str | None, int, int, int]:
        rng = self.rng
        year = self.years[bisect(self.year_cum, rng.random() * self.year_cum[-1])]
        month = self._int(1, 6) if year == 2026 else self._int(1, 12)  # 2026: up to the present
        day = self._int(1, 28)
        roll = rng.random()
        end_date = None
        if roll < 0.6:
            text = f"{year:04d}-{month:02d}-{day:02d}"
            if rng.random() < 0.05:  # a meeting or a campaign over a few days
                end_date = f"{year:04d}-{month:02d}-{min(28, day + self._int(1, 5)):02d}"
        elif roll < 0.85:
            text = f"{year:04d}-{month:02d}"
        else:
            text = f"{year:04d}"
        qualifier = rng.random()
        if end_date is None:
            text += "?" if qualifier < 0.05 else "~" if qualifier < 0.08 else ""
        return text, end_date, year, month, day

    def _citation(
        self, year: int, month: int, day: int, stance: str, linked: bool
    ) -> dict[str, Any]:
        rng = self.rng
        number = int(rng.random() * self.source_count)
        quote = " ".join(self._text(self.quote_pool, 8, 25))
        citation: dict[str, Any] = {
            "stance": stance,
            "quote": quote.capitalize() + ".",
            "locator": f"para. {self._int(1, 12)}",
        }
        source_id = f"src-{number:07d}"
        if number in self.sources_seen:
            citation["source_id"] = source_id
            return citation
        if number in self.sources:
            # Given whole before, by an event with a link, which the import may write after the
            # events following it (a link's target first): give it whole again.
            citation["source"] = self.sources[number]
            return citation
        if not linked:
            self.sources_seen.add(number)
        publisher = self._pick(self.publishers, self.publisher_cum, 1)[0]
        domain = publisher.lower().replace(" ", "") + ".example"
        title_words = self._text(self.word_pool, 5, 10)
        citation["source"] = self.sources[number] = {
            "id": source_id,
            "url": f"https://{domain}/{year:04d}/{month:02d}/{'-'.join(title_words)}-{number}",
            "title": " ".join(title_words).capitalize(),
            "publisher": publisher,
            "published": f"{year:04d}-{month:02d}-{day:02d}",
            "kind": rng.choice(SOURCE_KINDS),
            "language": rng.choice(LANGUAGES),
        }
        return citation

    def event(self, index: int) -> dict[str, Any]:
        rng = self.rng
        a, b = self._pair()
        date, end_date, year, month, day = self._date()
        conflictual = rng.random() < 0.55
        event_type = rng.choice(CONFLICTUAL if conflictual else COOPERATIVE)
        topic = self._text(self.word_pool, 2, 5)
        title = f"{self.names[a]} {VERBS[event_type]} {self.names[b]} over {' '.join(topic)}"
        body = self._text(self.word_pool, 20, 60)
        summary = f"{self.names[a]} and {self.names[b]}: {' '.join(body)}."
        record: dict[str, Any] = {
            "id": f"{date.rstrip('?~%')}-{a.lower()}-{b.lower()}-{index}",
            "title": title,
            "summary": summary,
            "date": date,
            "countries": [a, b],
            "type": event_type,
            "tags": sorted(set(self._pick(TAGS, self.tag_cum, self._int(0, 4)))),
        }
        if end_date:
            record["end_date"] = end_date
        if rng.random() < 0.9:
            mean = -5.0 if conflictual else 4.0
            record["tone"] = round(max(-10.0, min(10.0, rng.gauss(mean, 2.5))), 1)
        if rng.random() < 0.5:
            record["location"] = {
                "name": "".join(rng.choices(string.ascii_lowercase, k=7)).capitalize(),
                "country": rng.choice((a, b)),
                "lat": round(rng.uniform(-60, 70), 2),
                "lon": round(rng.uniform(-170, 170), 2),
            }
        actors = [{"id": rng.choice(self.actors[a])["id"], "role": "initiator"}]
        actors.append({"id": rng.choice(self.actors[b])["id"], "role": "target"})
        if rng.random() < 0.3:
            actors.append({"id": rng.choice(self.actors[a])["id"], "role": "participant"})
        record["actors"] = actors
        dyad = "-".join(sorted((a, b)))
        earlier = self.last_by_dyad.get(dyad)
        linked = earlier is not None and rng.random() < 0.01
        if linked:
            record["links"] = [{"event_id": earlier, "relation": "responds_to"}]
        self.last_by_dyad[dyad] = record["id"]
        disputed = rng.random() < 0.08
        count = rng.choice((1, 1, 2, 2, 3))
        stances = ["supports"] * count
        if disputed:
            stances[-1] = "disputes"
        record["citations"] = [
            self._citation(year, month, day, stance, linked) for stance in stances
        ]
        if rng.random() < 0.2:
            record["external_ids"] = {"gdelt": f"G{index:09d}"}
        return record


def write(n: int, out: Path, seed: int) -> dict[str, Any]:
    """Write the files; return meta (also written as meta.json)."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    generator = Generator(n, seed)
    probes = {word: 0 for word in (*DOMAIN_WORDS[:3], *DOMAIN_WORDS[20:23], DOMAIN_WORDS[-1])}
    probes[generator.words[3000]] = 0  # a rare made-up word
    dyad_counts: dict[str, int] = {}
    with (out / "events.ndjson").open("wb") as file:
        lines = []
        for index in range(1, n + 1):
            record = generator.event(index)
            text = f"{record['title']} {record['summary']}"
            for word in probes:
                if word in text:  # substring: an upper bound of the word's hits; fine for choosing
                    probes[word] += 1
            dyad = "-".join(sorted(record["countries"]))
            dyad_counts[dyad] = dyad_counts.get(dyad, 0) + 1
            lines.append(orjson.dumps(record))
            if len(lines) >= 10_000:
                file.write(b"\n".join(lines) + b"\n")
                lines = []
        if lines:
            file.write(b"\n".join(lines) + b"\n")
    refs = out / "refs"
    refs.mkdir(exist_ok=True)
    actors = [actor for group in generator.actors.values() for actor in group]
    (refs / "actors.json").write_bytes(orjson.dumps(actors, option=orjson.OPT_INDENT_2))
    (refs / "sources.json").write_bytes(b"[]")
    (refs / "events.json").write_bytes(b"[]")
    top = sorted(dyad_counts.items(), key=lambda item: -item[1])[:15]
    meta = {
        "n": n,
        "seed": seed,
        "countries": len(generator.codes),
        "actors": len(actors),
        "sources": len(generator.sources),
        "dyads": len(dyad_counts),
        "top_dyads": dict(top),
        "term_hits": probes,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out / "meta.json").write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2))
    return meta


def main(
    n: Annotated[int, typer.Option(help="How many events.")] = 1_000_000,
    out: Annotated[Path, typer.Option(help="Directory to write into.")] = Path("bench/data/n"),
    seed: Annotated[int, typer.Option(help="Seed of the random generator.")] = 7,
) -> None:
    """Generate N events, their actors and sources, deterministically."""
    meta = write(n, out, seed)
    sys.stderr.write(f"{n} events in {meta['seconds']} s -> {out}\n")


if __name__ == "__main__":
    typer.run(main)
