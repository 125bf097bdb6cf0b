"""The demo's taxpayers: who they are, how they reach KRA, which identifiers they leave.

Each person has a PIN, a phone and often an email, but which of them reach Njia depends on the
channel: the web app sends the PIN (identify) with the phone/email traits the taxpayer gave;
the CRM sends the WhatsApp number (and the email when the contact record has one). Nothing
else joins a person's web and WhatsApp activity — exactly as with live data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from demo import ids
from demo.devices import Device, Network, home_network, personal_device

FIRST_NAMES = (
    "Wanjiku", "Achieng", "Njeri", "Wambui", "Akinyi", "Chebet", "Nyambura", "Mwikali", "Atieno",
    "Jepkosgei", "Faith", "Mercy", "Grace", "Esther", "Zawadi", "Amina", "Halima", "Naliaka",
    "Kamau", "Otieno", "Mwangi", "Kiprop", "Ochieng", "Mutua", "Kariuki", "Omondi", "Wekesa",
    "Kipchoge", "Juma", "Hassan", "Brian", "Kevin", "Dennis", "Collins", "Peter", "John",
    "Joseph", "David", "Samuel", "Daniel",
)
SURNAMES = (
    "Kamau", "Otieno", "Mwangi", "Ochieng", "Wanjiru", "Kiprotich", "Mutua", "Njoroge", "Omondi",
    "Kariuki", "Wafula", "Chepkoech", "Kimani", "Onyango", "Maina", "Ruto", "Kibet", "Cheruiyot",
    "Odhiambo", "Nyaga", "Macharia", "Owino", "Barasa", "Koech", "Mohamed", "Abdi", "Langat",
    "Kilonzo", "Muthoni", "Gitau",
)
EMAIL_DOMAINS = ("gmail.com",) * 14 + ("yahoo.com",) * 3 + ("outlook.com", "hotmail.com",
                                                            "icloud.com", "students.uonbi.ac.ke")
# Kenyan mobile ranges (after the leading 0): Safaricom 70x–72x, 74x, 757–759, 768–769, 79x,
# 11x; Airtel 73x, 750–756, 78x, 10x; Telkom 77x.
MOBILE_PREFIXES = ("70", "71", "72", "79", "74", "757", "758", "759", "768", "769", "11",
                   "73", "75", "78", "10", "77")
MOBILE_WEIGHTS = (14, 16, 12, 6, 6, 2, 2, 2, 2, 2, 5, 8, 3, 6, 3, 2)

# Segments and their shares; 30 % of people use both channels.
SEGMENTS = (
    ("web_only", 0.38),
    ("wa_chat", 0.24),  # WhatsApp conversations only
    ("wa_campaign", 0.08),  # a contact who only receives campaigns (and sometimes replies)
    ("wa_to_web", 0.16),  # asks on WhatsApp, then files on the web
    ("web_to_wa", 0.14),  # stuck on the web, asks on WhatsApp (and often returns to file)
)
CROSS = frozenset({"wa_to_web", "web_to_wa"})
OBLIGATIONS = (("NIL", 0.55), ("MRI", 0.20), ("TOT", 0.25))


@dataclass
class Person:
    index: int
    pin: str
    first: str
    last: str
    phone: str  # national significant number, e.g. "712345678"
    email: str | None
    segment: str
    obligation: str
    network: Network
    devices: list[Device]
    # Cross-channel people are joined by phone, or by email alone when they gave the web app no
    # phone (the CRM contact record then carries the same email).
    link_by: str = "phone"
    new_contact: bool = True  # contact.created falls inside the demo window
    web_phone_format: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def e164(self) -> str:
        return f"+254{self.phone}"

    @property
    def uses_web(self) -> bool:
        return self.segment in ("web_only", "wa_to_web", "web_to_wa")

    @property
    def uses_whatsapp(self) -> bool:
        return self.segment != "web_only"

    @property
    def cross_channel(self) -> bool:
        return self.segment in CROSS

    def web_phone(self) -> str:
        """The phone as typed into the tax app (the processor normalises every form)."""
        p = self.phone
        return (f"0{p[:3]} {p[3:6]} {p[6:]}", f"0{p}", f"+254{p}", f"254{p}")[
            self.web_phone_format]

    def crm_number(self, rng: random.Random) -> str:
        """As the CRM sends it: `2547XXXXXXXX`, sometimes the local `07XX XXX XXX` form."""
        if rng.random() < 0.08:
            return f"0{self.phone[:3]} {self.phone[3:6]} {self.phone[6:]}"
        return f"254{self.phone}"

    def traits(self) -> dict[str, str]:
        """identify() traits: what the tax app knows from the taxpayer's iTax profile."""
        traits: dict[str, str] = {"name": self.name}
        if self.link_by != "email" and self.extra.get("gives_phone", True):
            traits["phone"] = self.web_phone()
        if self.email and (self.link_by == "email" or self.extra.get("gives_email", True)):
            traits["email"] = self.email
        return traits


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    roll, acc = rng.random(), 0.0
    for name, share in table:
        acc += share
        if roll < acc:
            return name
    return table[-1][0]


def _phone(rng: random.Random, taken: set[str]) -> str:
    while True:
        prefix = rng.choices(MOBILE_PREFIXES, MOBILE_WEIGHTS)[0]
        number = prefix + "".join(str(rng.randrange(10)) for _ in range(9 - len(prefix)))
        if number not in taken:
            taken.add(number)
            return number


def population(rng: random.Random, count: int) -> list[Person]:
    phones: set[str] = set()
    pins: set[str] = set()
    emails: set[str] = set()
    people = []
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        pin = ids.kra_pin(rng)
        while pin in pins:
            pin = ids.kra_pin(rng)
        pins.add(pin)
        segment = _pick(rng, SEGMENTS)
        link_by = "email" if segment in CROSS and rng.random() < 0.15 else "phone"
        email = None
        if link_by == "email" or rng.random() < 0.6:
            email = f"{first}.{last}{rng.randrange(1, 999)}@{rng.choice(EMAIL_DOMAINS)}".lower()
            while email in emails:
                email = email.replace("@", f"{rng.randrange(10)}@", 1)
            emails.add(email)
        network = home_network(rng)
        # People sent from WhatsApp open the link on the phone they chat on.
        devices = [personal_device(rng, prefer_mobile=segment == "wa_to_web")]
        if rng.random() < 0.15:  # a second device (office PC, or phone + laptop)
            devices.append(personal_device(rng))
        person = Person(
            index=index, pin=pin, first=first, last=last, phone=_phone(rng, phones),
            email=email, segment=segment, obligation=_pick(rng, OBLIGATIONS), network=network,
            devices=devices, link_by=link_by,
            new_contact=link_by == "email" or rng.random() < 0.55,
            web_phone_format=rng.choices((0, 1, 2, 3), (40, 35, 15, 10))[0],
        )
        # Cross-channel people always give the identifier that links them; others do not
        # always fill in their phone or email.
        person.extra["gives_phone"] = segment in CROSS or rng.random() < 0.85
        person.extra["gives_email"] = segment in CROSS or rng.random() < 0.7
        people.append(person)
    return people
