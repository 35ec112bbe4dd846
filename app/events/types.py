"""The PLOVER event types (the successor of CAMEO used by ICEWS and POLECAT)."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class EventType(StrEnum):
    agree = "agree"
    consult = "consult"
    support = "support"
    concede = "concede"
    cooperate = "cooperate"
    aid = "aid"
    retreat = "retreat"
    request = "request"
    accuse = "accuse"
    reject = "reject"
    threaten = "threaten"
    protest = "protest"
    sanction = "sanction"
    mobilize = "mobilize"
    coerce = "coerce"
    assault = "assault"


@dataclass(frozen=True)
class TypeInfo:
    description: str
    mode: Literal["verbal", "material"]
    orientation: Literal["cooperative", "conflictual"]


PLOVER: dict[EventType, TypeInfo] = {
    EventType.agree: TypeInfo(
        "Agree to, sign or express intent to cooperate, settle or meet.", "verbal", "cooperative"
    ),
    EventType.consult: TypeInfo(
        "Meet, visit, talk by phone or mediate between parties.", "verbal", "cooperative"
    ),
    EventType.support: TypeInfo(
        "Praise, endorse, defend or recognise another actor or its policy.",
        "verbal",
        "cooperative",
    ),
    EventType.concede: TypeInfo(
        "Yield in words or policy: ease restrictions, release, apologise, accept demands.",
        "verbal",
        "cooperative",
    ),
    EventType.request: TypeInfo(
        "Appeal or ask for aid, cooperation, a meeting, a concession or a change.",
        "verbal",
        "cooperative",
    ),
    EventType.cooperate: TypeInfo(
        "Cooperate in practice: economic, military, judicial or intelligence exchange.",
        "material",
        "cooperative",
    ),
    EventType.aid: TypeInfo(
        "Give economic, military, humanitarian or other aid.", "material", "cooperative"
    ),
    EventType.retreat: TypeInfo(
        "Yield in deeds: withdraw forces, demobilise, return territory or property.",
        "material",
        "cooperative",
    ),
    EventType.accuse: TypeInfo(
        "Criticise, blame, denounce or accuse of wrongdoing.", "verbal", "conflictual"
    ),
    EventType.reject: TypeInfo(
        "Refuse a proposal, demand, meeting or cooperation; deny an accusation.",
        "verbal",
        "conflictual",
    ),
    EventType.threaten: TypeInfo(
        "Threaten sanctions, force, or an end to relations or negotiations.",
        "verbal",
        "conflictual",
    ),
    EventType.protest: TypeInfo(
        "Demonstrate, rally, strike, boycott or obstruct in protest.", "material", "conflictual"
    ),
    EventType.sanction: TypeInfo(
        "Cut relations, expel diplomats, impose embargoes or other penalties.",
        "material",
        "conflictual",
    ),
    EventType.mobilize: TypeInfo(
        "Raise alert, deploy or exercise forces; show military posture.", "material", "conflictual"
    ),
    EventType.coerce: TypeInfo(
        "Seize, arrest, expel, censor or repress; use force short of assault.",
        "material",
        "conflictual",
    ),
    EventType.assault: TypeInfo(
        "Attack, bomb, kill or injure; use conventional or unconventional violence.",
        "material",
        "conflictual",
    ),
}
