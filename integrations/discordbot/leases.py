"""Who connects what in a fleet of gateway processes: leases on (application, shard) units.

Each process checks in (a ``GatewayProcess`` row that expires after the TTL) and, every
round, renews the leases it holds, gives back what is over its fair share and claims free
or expired units up to it. A unit is claimed by inserting its row (the unique constraint
refuses a second) or by a conditional update of an expired row (the row count says who
won), so two processes never hold one. The fair share splits the units not pinned by a live
process evenly over the live processes (sorted by owner: the first ones take the remainder),
so a join or a leave moves only the units that must move.

All functions here are synchronous ORM code; the supervisor runs them off the event loop.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from guildmind.db import write_transaction
from integrations.discordbot.models import GatewayLease, GatewayProcess

Unit = tuple[int, int]  # (BotApplication pk, shard); a custom bot is its shard 0


def new_owner_id() -> str:
    """This process's name in the fleet: host, pid and a random part (a restarted process
    with the same pid is a new owner)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Assignment:
    """What one round decided: the units this process holds now, and those it gave back."""

    held: frozenset[Unit]
    released: frozenset[Unit]


def check_in(owner: str, ttl: float, pinned: list[int], now: datetime | None = None) -> list[str]:
    """Record this process as live until now + ttl; forget processes that expired. Returns
    the live owners, sorted."""
    now = now or timezone.now()
    with write_transaction():
        GatewayProcess.objects.update_or_create(
            owner=owner, defaults={"expires_at": now + timedelta(seconds=ttl), "pinned_shards": pinned}
        )
        GatewayProcess.objects.filter(expires_at__lt=now).delete()
    return sorted(GatewayProcess.objects.filter(expires_at__gte=now).values_list("owner", flat=True))


def fair_share(owner: str, live: list[str], pool: int) -> int:
    """How many of ``pool`` balanced units ``owner`` should hold among ``live`` processes."""
    if owner not in live:
        live = sorted([*live, owner])
    base, extra = divmod(pool, len(live))
    return base + (1 if live.index(owner) < extra else 0)


def _pinned_elsewhere(owner: str, shared_pk: int | None, now: datetime) -> set[Unit]:
    if shared_pk is None:
        return set()
    pinned: set[Unit] = set()
    rows = GatewayProcess.objects.filter(expires_at__gte=now).exclude(owner=owner)
    for shards in rows.values_list("pinned_shards", flat=True):
        pinned.update((shared_pk, int(s)) for s in shards or [])
    return pinned


def balance(
    owner: str,
    units: list[Unit],
    *,
    ttl: float,
    shared_pk: int | None = None,
    pinned_shards: list[int] | None = None,
    now: datetime | None = None,
) -> Assignment:
    """One round for ``owner``: check in, renew, claim. ``units`` is every unit the fleet
    should connect; ``pinned_shards`` are shards of the shared application (``shared_pk``)
    this process connects whatever the share (DISCORD_SHARD_IDS). Units to give back
    (over the share, pinned elsewhere, gone) come back in ``released``, still leased: the
    caller closes their connections first, then calls ``release``, so a unit is never
    connected twice."""
    now = now or timezone.now()
    pinned = [(shared_pk, s) for s in pinned_shards or []] if shared_pk is not None else []
    live = check_in(owner, ttl, sorted(pinned_shards or []), now)
    expires = now + timedelta(seconds=ttl)
    wanted = set(units)
    # Units pinned by another live process are theirs; everything else is balanced.
    pool = sorted(wanted - _pinned_elsewhere(owner, shared_pk, now) - set(pinned))
    # A pinned process runs its own shards of the shared bot, and its share of the rest
    # like any other (every process computes the shares over the same pool).
    pinned = [u for u in pinned if u in wanted]
    with write_transaction():
        GatewayLease.objects.filter(owner=owner).update(expires_at=expires)
    # One read of every lease: claims are tried only on units that look free or expired
    # (the claim itself still decides), so a large fleet costs a query per unit that moves.
    leased = {
        (app, shard): (holder, until)
        for app, shard, holder, until in GatewayLease.objects.values_list(
            "application_id", "shard", "owner", "expires_at"
        )
    }
    held = {unit for unit, (holder, _) in leased.items() if holder == owner}
    share = fair_share(owner, live, len(pool))
    balanced_held = sorted(u for u in held if u in pool)
    over = set(balanced_held[share:]) if len(balanced_held) > share else set()
    # Given back: units nobody should connect any more, pinned elsewhere, or over the share.
    release_now = {u for u in held if u not in wanted or (u not in pool and u not in pinned)} | over
    for unit in pinned:
        if unit not in held and _claim(owner, unit, expires, now):
            held.add(unit)
    room = share - (len(balanced_held) - len(over))
    for unit in pool:
        if room <= 0:
            break
        if unit in held or (unit in leased and leased[unit][1] >= now):
            continue
        if _claim(owner, unit, expires, now):
            held.add(unit)
            room -= 1
    return Assignment(held=frozenset(held - release_now), released=frozenset(release_now))


def _claim(owner: str, unit: Unit, expires: datetime, now: datetime) -> bool:
    """Take ``unit`` if nobody holds it or its lease expired; True when this process won."""
    app, shard = unit
    taken = (
        GatewayLease.objects.filter(application_id=app, shard=shard, expires_at__lt=now)
        .exclude(owner=owner)
        .update(owner=owner, expires_at=expires)
    )
    if taken:
        return True
    if GatewayLease.objects.filter(application_id=app, shard=shard).exists():
        return False
    try:
        with write_transaction(), transaction.atomic():
            GatewayLease.objects.create(application_id=app, shard=shard, owner=owner, expires_at=expires)
    except IntegrityError:
        return False
    return True


def release(owner: str, units: set[Unit] | frozenset[Unit]) -> None:
    """Give ``units`` back at once (their connections are closed): another process may
    claim them on its next round."""
    with write_transaction():
        for app, shard in units:
            GatewayLease.objects.filter(owner=owner, application_id=app, shard=shard).delete()


def leave(owner: str) -> None:
    """Graceful stop: every lease and the check-in go, so the others take over at once."""
    with write_transaction():
        GatewayLease.objects.filter(owner=owner).delete()
        GatewayProcess.objects.filter(owner=owner).delete()
