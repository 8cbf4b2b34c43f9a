"""A demo data set for the local stage, loaded through the services themselves.

``SEED_JOBS=N make run`` (``python -m local.gateway --seed-jobs N``) calls ``seed(N)`` after
the table exists and before the gateway serves: clients and workers (active accounts, workers
with public profiles) in the cities of the four countries, ``N`` jobs across every category,
most open, some cancelled and some with a bid accepted, bids in the job's currency, and
conversations with messages between clients and their bidders. The accepted jobs go on in
turn through every state of their money (``local.seed_payments``): unpaid, a payment pending,
failed or flagged, funded, refunded, completed and paid out, a payout held after a failed
transfer, a payout waiting for the worker's payout account (most workers have one). Every
item is written by the same service call a request would make (``accounts.create_user``,
``jobs.create_job``, ``bids.create_bid``, ``bids.accept_bid``, ``checkout.start_payment``…),
with the local payment simulator as the providers, so plan limits, counters, list index items,
ledger entries and transactions are exactly what the API itself produces. A fixed random seed gives the same mix
for the same ``N`` (which worker bids where depends a little on thread timing); ids and times
are new on each run. The stream consumers start after the seed, so notifications are made only
for what happens once the stage serves.

``DEMO_LOGINS`` can sign in at once with ``POST /v1/auth/login`` (their password is
``DEMO_PASSWORD``); every other seeded account signs in by code (``POST /v1/auth/otp``, then
the code from ``GET /_dev/outbox``).
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from local import seed_payments

DEMO_PASSWORD = "khaya-local-demo"
THREADS = 8
LIVE_BIDS = 5  # the free plan's live-bid limit: seeded workers stay within it
OPEN_JOBS = 3  # the free plan's open-job limit
ACCOUNTLESS = 5  # one worker in this many has no payout account
DEMO_FATES = {"ZA": "funded"}  # the demo client's accepted job, won by the demo worker (local.seed_payments)


@dataclass(frozen=True)
class Country:
    code: str
    currency: str
    weight: int
    cities: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    budget: tuple[int, int]  # typical job budget in minor units (low, high)

    def phone(self, role: str, n: int) -> str:
        """The ``n``-th seeded mobile number of this country for ``role`` (E.164, a mobile range):
        demo logins below a tenth of the range, clients from a tenth, workers from half."""
        prefix, digits = PHONE_PLAN[self.code]
        offset = {"demo": 0, "client": 1, "worker": 5}[role] * 10 ** (digits - 1)
        return f"{prefix}{offset + n:0{digits}d}"


# Mobile ranges: ZA 082 xxx xxxx, KE 0712 xxx xxx, NG 0803 xxx xxxx, GH 024 xxx xxxx.
PHONE_PLAN = {"ZA": ("+2782", 7), "KE": ("+254712", 6), "NG": ("+234803", 7), "GH": ("+23324", 7)}

COUNTRIES: tuple[Country, ...] = (
    Country(
        "ZA",
        "ZAR",
        55,
        (
            "Johannesburg",
            "Cape Town",
            "Durban",
            "Pretoria",
            "Gqeberha",
            "Soweto",
            "Sandton",
            "Bloemfontein",
            "Polokwane",
            "Pietermaritzburg",
            "Centurion",
            "Stellenbosch",
        ),
        (
            "Thandi",
            "Sipho",
            "Lerato",
            "Themba",
            "Naledi",
            "Pieter",
            "Ayesha",
            "Bongani",
            "Zanele",
            "Johan",
            "Palesa",
            "Kagiso",
            "Nomvula",
            "Riaan",
            "Mpho",
            "Lindiwe",
        ),
        (
            "Nkosi",
            "Dlamini",
            "Mokoena",
            "van der Merwe",
            "Naidoo",
            "Botha",
            "Khumalo",
            "Ndlovu",
            "Petersen",
            "Mahlangu",
            "Sithole",
            "Pillay",
            "Mthembu",
            "Jacobs",
        ),
        (30_000, 1_500_000),
    ),
    Country(
        "NG",
        "NGN",
        20,
        ("Lagos", "Abuja", "Ibadan", "Port Harcourt", "Kano", "Enugu", "Lekki", "Ikeja"),
        ("Chinedu", "Ngozi", "Tunde", "Aisha", "Emeka", "Funmilayo", "Ibrahim", "Chioma", "Segun", "Amaka"),
        ("Okafor", "Adeyemi", "Bello", "Nwosu", "Ogunleye", "Abubakar", "Eze", "Balogun", "Okonkwo", "Usman"),
        (1_500_000, 60_000_000),
    ),
    Country(
        "KE",
        "KES",
        15,
        ("Nairobi", "Mombasa", "Kisumu", "Nakuru", "Eldoret", "Thika"),
        ("Wanjiku", "Otieno", "Achieng", "Kamau", "Njeri", "Mutua", "Akinyi", "Kiprono", "Wambui", "Omondi"),
        ("Mwangi", "Odhiambo", "Kariuki", "Wekesa", "Njoroge", "Cheruiyot", "Ochieng", "Kimani", "Mutiso"),
        (150_000, 8_000_000),
    ),
    Country(
        "GH",
        "GHS",
        10,
        ("Accra", "Kumasi", "Tamale", "Takoradi", "Tema", "Cape Coast"),
        ("Kwame", "Ama", "Kofi", "Akosua", "Yaw", "Abena", "Kojo", "Efua", "Kwabena", "Adwoa"),
        ("Mensah", "Owusu", "Boateng", "Asante", "Appiah", "Osei", "Agyeman", "Darko", "Ofori", "Addo"),
        (15_000, 800_000),
    ),
)

# category → (job titles, worker skills)
WORK: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "plumbing": (
        (
            "Fix a leaking kitchen tap",
            "Replace a burst geyser pipe",
            "Unblock the bathroom drain",
            "Install a new toilet cistern",
            "Move the washing machine outlet",
        ),
        ("geysers", "leak detection", "drain unblocking", "bathroom fittings"),
    ),
    "electrical": (
        (
            "Install four LED downlights",
            "Find the fault that trips the DB board",
            "Add two plug points in the lounge",
            "Wire a new stove connection",
            "Fit a prepaid meter",
        ),
        ("COC certificates", "fault finding", "DB boards", "lighting"),
    ),
    "carpentry": (
        (
            "Build fitted wardrobe doors",
            "Repair a sagging kitchen cupboard",
            "Hang three interior doors",
            "Make a wooden garden bench",
        ),
        ("cabinetry", "doors and frames", "custom furniture"),
    ),
    "painting": (
        (
            "Paint a three-bedroom house interior",
            "Repaint the boundary wall",
            "Waterproof and paint the roof",
            "Varnish the wooden deck",
        ),
        ("interior painting", "exterior painting", "waterproofing"),
    ),
    "cleaning": (
        (
            "Deep clean after moving out",
            "Weekly office cleaning",
            "Carpet and couch shampoo",
            "Window cleaning for a double-storey house",
        ),
        ("deep cleaning", "carpets", "offices", "windows"),
    ),
    "gardening": (
        (
            "Monthly garden service",
            "Cut down an overgrown tree",
            "Lay new lawn in the backyard",
            "Install drip irrigation",
        ),
        ("lawn care", "tree felling", "irrigation", "landscaping"),
    ),
    "moving": (
        ("Move a one-bedroom flat across town", "Deliver a fridge and a couch", "Office move of twelve desks"),
        ("furniture removal", "packing", "bakkie hire"),
    ),
    "appliance_repair": (
        (
            "Washing machine does not spin",
            "Fridge stopped cooling",
            "Repair a gas stove igniter",
            "Service the air conditioner",
        ),
        ("fridges", "washing machines", "air conditioning", "stoves"),
    ),
    "roofing": (
        ("Replace broken roof tiles after the storm", "Fix a leaking IBR roof", "Clean and seal the gutters"),
        ("roof repairs", "gutters", "waterproofing"),
    ),
    "tiling": (
        ("Tile a bathroom floor of 6 m²", "Replace the kitchen splashback", "Regrout the shower"),
        ("floor tiling", "wall tiling", "grouting"),
    ),
    "welding": (
        ("Make burglar bars for five windows", "Repair a sliding gate track", "Weld a steel carport frame"),
        ("burglar bars", "gates", "steel structures"),
    ),
    "tutoring": (
        ("Grade 12 maths lessons twice a week", "Help with a first-year accounting course", "French for beginners"),
        ("mathematics", "accounting", "languages", "exam preparation"),
    ),
    "beauty": (
        ("Braids for a wedding party of four", "Home manicure and pedicure", "Bridal make-up on Saturday"),
        ("braiding", "nails", "make-up"),
    ),
    "it_support": (
        ("Set up Wi-Fi mesh in a small office", "Laptop runs slowly, needs a clean-up", "Install CCTV with phone app"),
        ("networking", "computer repair", "CCTV"),
    ),
    "other": (
        ("Assemble flat-pack furniture", "Help at a children's party", "Put up shelves and a TV mount"),
        ("handyman", "assembly", "odd jobs"),
    ),
}

DETAILS = (
    "Please come with your own tools.",
    "Access is easy; parking in the driveway.",
    "Weekday mornings suit us best.",
    "I can send photos on request.",
    "Must be done before month-end.",
    "Materials can be bought by me if you send a list.",
    "A quote with a breakdown of labour and materials, please.",
    "The complex needs your ID number for the gate.",
)
BID_MESSAGES = (
    "I have done many of these; I can start this week.",
    "Price includes materials and a three-month guarantee.",
    "Available on Saturday morning, references on request.",
    "I can come and look first at no charge.",
    "Qualified and insured, ten years in the trade.",
)
CLIENT_LINES = (
    "Hi, when could you start?",
    "Does your price include materials?",
    "Can you send a photo of similar work?",
    "Great, the gate code is at the guard house.",
    "Thanks, see you then.",
)
WORKER_LINES = (
    "Hello! I can start on Thursday.",
    "Yes, materials are included.",
    "Sure, sending a photo now.",
    "I will be there at 8.",
    "Job done, please have a look.",
)

# Ready logins for the README: (country, role, number). Their password is DEMO_PASSWORD.
DEMO_ACCOUNTS: tuple[tuple[str, str, int], ...] = (
    ("ZA", "client", 550101),
    ("ZA", "worker", 550102),
    ("KE", "client", 50103),
    ("NG", "worker", 550104),
)


@dataclass
class Person:
    user_id: str
    phone: str
    name: str
    role: str
    country: Country
    city: str
    categories: tuple[str, ...] = ()
    has_account: bool = False  # a payout account (workers)


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.counts[what] += n


class WorkerPool:
    """Workers by country, and how many live bids each has (kept within the free plan)."""

    def __init__(self, workers: list[Person]) -> None:
        self.by_country: dict[str, list[Person]] = {}
        for w in workers:
            self.by_country.setdefault(w.country.code, []).append(w)
        self.live: Counter[str] = Counter()
        self.lock = threading.Lock()

    def take(
        self,
        rng: random.Random,
        country: str,
        category: str,
        n: int,
        prefer: str | None,
        account: bool | None = None,
    ) -> list[Person]:
        """Up to ``n`` distinct workers of ``country`` with a free bid slot, of the category when
        possible; one of them with (``account=True``) or without a payout account when asked."""
        pool = self.by_country.get(country, [])
        with self.lock:
            free = [w for w in pool if self.live[w.user_id] < LIVE_BIDS]
            picked = [w for w in free if w.user_id == prefer][:1]
            if account is not None and not any(w.has_account == account for w in picked):
                suits = [w for w in free if w.has_account == account and w not in picked]
                picked += rng.sample(suits, min(1, len(suits)))
            skilled = [w for w in free if category in w.categories and w not in picked]
            rest = [w for w in free if w not in picked and w not in skilled]
            candidates = rng.sample(skilled, min(len(skilled), n)) + rng.sample(rest, min(len(rest), n))
            picked += candidates[: max(0, n - len(picked))]
            for w in picked:
                self.live[w.user_id] += 1
            return picked

    def release(self, workers: list[Person]) -> None:
        with self.lock:
            for w in workers:
                self.live[w.user_id] -= 1


def _name(rng: random.Random, country: Country) -> str:
    return f"{rng.choice(country.first_names)} {rng.choice(country.last_names)}"


def _country(rng: random.Random) -> Country:
    return rng.choices(COUNTRIES, weights=[c.weight for c in COUNTRIES])[0]


def _money(rng: random.Random, country: Country) -> dict[str, Any]:
    low, high = country.budget
    amount = int(rng.triangular(low, high, low + (high - low) / 5))
    return {"amount": amount - amount % 1000, "currency": country.currency}


def _create_person(rng: random.Random, country: Country, role: str, phone: str, password: str | None) -> Person:
    from khaya.identity import accounts

    name = _name(rng, country)
    user = accounts.create_user(phone, name, role, status="active", password=password)
    return Person(str(user["userId"]), phone, name, role, country, rng.choice(country.cities))


def _worker(
    rng: random.Random, country: Country, phone: str, password: str | None = None, account: bool = True
) -> Person:
    from khaya.market import workers
    from local.seed_payments import payout_account

    person = _create_person(rng, country, "worker", phone, password)
    categories = tuple(rng.sample(sorted(WORK), rng.randint(1, 3)))
    skills = sorted({s for c in categories for s in rng.sample(WORK[c][1], min(2, len(WORK[c][1])))})
    rate = _money(rng, country)
    workers.put_profile(
        person.user_id,
        {
            "skills": skills,
            "categories": list(categories),
            "city": person.city,
            "bio": f"{person.name.split()[0]} from {person.city}: {', '.join(skills)}. Reliable and on time.",
            "hourlyRate": {"amount": max(1000, rate["amount"] // 20), "currency": country.currency},
        },
    )
    person.categories = categories
    if account:
        payout_account(person.user_id, country.currency)
        person.has_account = True
    return person


@dataclass
class Plan:
    """What one client does: its jobs, each ending open, assigned (then paid or not) or cancelled."""

    client_index: int
    country: Country
    jobs: list[str]  # final status of each job, in posting order
    demo: tuple[str, int] | None = None  # (role, number) of a demo login
    fates: list[str] = field(default_factory=list)  # per job: what happens once a bid is accepted


def _plans(rng: random.Random, n_jobs: int, staffed: dict[str, set[bool]]) -> list[Plan]:
    """``staffed``: per country with workers, whether they have payout accounts (``has_account``
    values). A job elsewhere finds no bidder, so it takes no fate."""
    plans: list[Plan] = []
    demo_clients = [(c, n) for c, role, n in DEMO_ACCOUNTS if role == "client"]
    turns = seed_payments.Fates()
    left = n_jobs
    while left > 0:
        k = min(left, rng.choice((1, 1, 2, 2, 3, 3, 4, 5)))  # many clients post once, regulars post more
        statuses = []
        for _ in range(k):
            r = rng.random()
            status = "open" if r < 0.72 else "assigned" if r < 0.9 else "cancelled"
            if status == "open" and statuses.count("open") >= OPEN_JOBS:
                status = "assigned" if r < 0.45 else "cancelled"
            statuses.append(status)
        # Older jobs are the ones that moved on; the newest are still open (and never more than the plan allows).
        statuses.sort(key=lambda s: s == "open")
        demo = None
        if len(plans) < len(demo_clients):  # a demo client: one job done, two open with bids
            code, number = demo_clients[len(plans)]
            country = next(c for c in COUNTRIES if c.code == code)
            demo = ("client", number)
            k = min(left, 3)
            statuses = ["assigned", "open", "open"][-k:]
        else:
            country = _country(rng)
        fates = []
        for status in statuses:
            if status != "assigned":
                fates.append("")
            elif demo and country.code in DEMO_FATES:  # the ZA demo client's job: funded, to complete
                fates.append(DEMO_FATES[country.code])
            elif country.code not in staffed:
                fates.append("assigned")
            else:
                fates.append(turns.next(staffed[country.code]))
        plans.append(Plan(len(plans), country, statuses, demo, fates))
        left -= k
    return plans


def _converse(rng: random.Random, tally: Tally, client: Person, worker: Person, job_id: str) -> None:
    from khaya.http import Caller
    from khaya.market import conversations

    conv, _ = conversations.create_conversation(Caller(worker.user_id, "worker"), job_id, None)
    tally.add("conversations")
    speakers = [(Caller(client.user_id, "client"), CLIENT_LINES), (Caller(worker.user_id, "worker"), WORKER_LINES)]
    for i in range(rng.randint(1, 4)):
        who, lines = speakers[i % 2]
        conversations.send_message(who, conv.id, lines[min(i // 2, len(lines) - 1)], None)
        tally.add("messages")


def _winner(rng: random.Random, placed: list[tuple[Person, str]], what: str, prefer: str | None) -> tuple[Person, str]:
    """The bid to accept: the preferred worker's, else one whose payout account suits the fate."""
    mine = [p for p in placed if p[0].user_id == prefer]
    if mine:
        return mine[0]
    account = seed_payments.needs_account(what)
    return rng.choice([p for p in placed if account is None or p[0].has_account == account] or placed)


def _run_plan(
    plan: Plan,
    pool: WorkerPool,
    demo_workers: dict[str, str],
    tally: Tally,
    seed_value: int,
    pay_base: str,
    accepted: list[str],
) -> None:
    from khaya.errors import AppError
    from khaya.market import bids, jobs

    rng = random.Random(seed_value * 1_000_003 + plan.client_index)
    country = plan.country
    phone = country.phone("demo", plan.demo[1]) if plan.demo else country.phone("client", plan.client_index)
    client = _create_person(rng, country, "client", phone, DEMO_PASSWORD if plan.demo else None)
    tally.add("clients")
    demo_bid_placed = False
    for final, what in zip(plan.jobs, plan.fates, strict=True):
        category = rng.choice(sorted(WORK))
        titles = WORK[category][0]
        data: dict[str, Any] = {
            "title": rng.choice(titles),
            "description": f"{rng.choice(titles)} in {client.city}. {rng.choice(DETAILS)} {rng.choice(DETAILS)}",
            "category": category,
            "city": client.city if rng.random() < 0.8 else rng.choice(country.cities),
        }
        if rng.random() < 0.85:
            data["budget"] = _money(rng, country)
        try:
            job = jobs.create_job(client.user_id, data)
        except AppError as exc:
            tally.add(f"skipped job ({exc.code})")
            continue
        if final != "assigned":  # an accepted job is counted by what it became (seed_payments.settle)
            tally.add(f"jobs {final}")
        # Most open jobs are waiting for their first bid; an assigned one had a few.
        wanted = {
            "open": rng.choice((0, 0, 0, 0, 0, 0, 0, 1, 1, 2)),
            "assigned": rng.choice((1, 1, 2)),
            "cancelled": rng.choice((0, 0, 0, 1)),
        }
        # A demo client's first open job gets a bid, and a conversation, from the demo worker,
        # who also won its assigned job.
        wants_demo = plan.demo is not None and (final == "assigned" or (final == "open" and not demo_bid_placed))
        prefer = demo_workers.get(country.code) if wants_demo else None
        demo_bid_placed = demo_bid_placed or (prefer is not None and final == "open")
        account = seed_payments.needs_account(what)
        bidders = pool.take(rng, country.code, category, wanted[final] + (1 if prefer else 0), prefer, account)
        placed: list[tuple[Person, str]] = []
        for worker in bidders:
            budget = data.get("budget") or _money(rng, country)
            amount = {
                "amount": int(budget["amount"] * rng.uniform(0.8, 1.15)) // 100 * 100,
                "currency": country.currency,
            }
            try:
                bid = bids.create_bid(
                    worker.user_id,
                    job.id,
                    {"amount": amount, "message": rng.choice(BID_MESSAGES), "etaDays": rng.randint(1, 14)},
                )
            except AppError as exc:
                pool.release([worker])
                tally.add(f"skipped bid ({exc.code})")
                continue
            placed.append((worker, bid.id))
            tally.add("bids")
        try:
            if final == "assigned" and placed:
                worker, bid_id = _winner(rng, placed, what, prefer)
                bids.accept_bid(client.user_id, bid_id)
                accepted.append(job.id)
                pool.release([w for w, _ in placed])
                if rng.random() < 0.2:
                    _converse(rng, tally, client, worker, job.id)
                seed_payments.pay(pay_base, what, client.user_id, job.id)
            elif final == "cancelled" or (final == "assigned" and not placed):
                jobs.cancel_job(client.user_id, job.id)
                pool.release([w for w, _ in placed])
                if final == "assigned":
                    tally.add("jobs cancelled")  # nobody bid
            elif placed and (prefer or rng.random() < 0.05):
                talker = next((w for w, _ in placed if w.user_id == prefer), rng.choice(placed)[0])
                _converse(rng, tally, client, talker, job.id)
        except AppError as exc:
            tally.add(f"skipped step ({exc.code})")


def demo_logins() -> list[dict[str, str]]:
    """The seeded accounts that sign in with ``DEMO_PASSWORD`` (phone, role, country)."""
    by_code = {c.code: c for c in COUNTRIES}
    return [
        {"phone": by_code[code].phone("demo", number), "role": role, "country": code, "password": DEMO_PASSWORD}
        for code, role, number in DEMO_ACCOUNTS
    ]


def seed(n_jobs: int, *, seed_value: int = 7, threads: int = THREADS, out: Any = None) -> dict[str, int]:
    """Load the demo data set with ``n_jobs`` jobs; return what was written (counts by kind)."""
    out = out or sys.stdout
    started = time.perf_counter()
    rng = random.Random(seed_value)
    tally = Tally()
    n_workers = max(len(COUNTRIES) * 3, n_jobs // 15)
    worker_specs = []
    per_country: Counter[str] = Counter()
    for i in range(n_workers):
        country = _country(rng)
        per_country[country.code] += 1
        phone = country.phone("worker", per_country[country.code])
        # One worker in ACCOUNTLESS has no payout account yet: its payouts wait for one.
        worker_specs.append((random.Random(seed_value * 7919 + i), country, phone, None, i % ACCOUNTLESS != 0))
    demo_workers = [(c, n) for c, role, n in DEMO_ACCOUNTS if role == "worker"]
    accepted: list[str] = []
    with seed_payments.simulator() as pay_base, ThreadPoolExecutor(threads, thread_name_prefix="seed") as executor:
        workers = list(executor.map(lambda spec: _worker(*spec), worker_specs))
        for code, number in demo_workers:
            country = next(c for c in COUNTRIES if c.code == code)
            workers.append(_worker(random.Random(number), country, country.phone("demo", number), DEMO_PASSWORD))
        tally.add("workers", len(workers))
        tally.add("payout accounts", sum(w.has_account for w in workers))
        pool = WorkerPool(workers)
        demo_by_country = {w.country.code: w.user_id for w in workers[-len(demo_workers) :]} if demo_workers else {}
        staffed = {code: {w.has_account for w in ws} for code, ws in pool.by_country.items()}
        plans = _plans(rng, n_jobs, staffed)
        for _ in executor.map(
            lambda p: _run_plan(p, pool, demo_by_country, tally, seed_value, pay_base, accepted), plans
        ):
            pass
        for what, n in seed_payments.settle(accepted, executor).items():
            tally.add(what, n)
    seconds = time.perf_counter() - started
    counts = dict(tally.counts)
    jobs_written = sum(v for k, v in counts.items() if k.startswith("jobs "))
    summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    print(f"seeded {jobs_written} jobs in {seconds:.1f}s: {summary}", file=out, flush=True)
    print("ready logins: README.md, section Demo data", file=out, flush=True)
    return counts
