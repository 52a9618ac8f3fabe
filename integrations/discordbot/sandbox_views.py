"""The Sandbox page: post as a member of the sandbox server and watch the bot at work.

Thin adapters over the simulator's control API (``sandbox.SandboxClient``). Only the
workspace the sandbox server is connected to finds it (another gets 404, like every
dashboard object), and only while the sandbox runs: with a real Discord application
configured these pages do not exist (404).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.actions import get_workspace_for
from integrations.discordbot.models import DiscordServer
from integrations.discordbot.sandbox import (
    SANDBOX_APPLICATION_ID,
    Place,
    SandboxClient,
    SandboxRefused,
    SandboxUnavailable,
    sandbox_server_for,
)

UNAVAILABLE = (
    "The sandbox's simulated Discord is not answering yet; it starts with ./run.sh. Try again in a moment."
)
# What to try, each posted in one click: (member, channel, text, what the bot should do).
EXAMPLES = (
    ("sam", "help", "How do I add knowledge to the bot?", "answered from the knowledge base"),
    ("sam", "general", "Join my server discord.gg/free-nitro-now for free nitro!!!", "deleted and warned"),
    ("riley", "help", "This still doesn't work. Can I talk to a human please?", "handed to your team"),
    ("morgan", "general", "Our partner server is discord.gg/partners", "left alone: morgan moderates"),
)
_MENTION = re.compile(r"<@!?(\d+)>")


class SandboxMessageForm(forms.Form):
    member = forms.ChoiceField(label="Post as")
    channel = forms.ChoiceField(label="In")
    text = forms.CharField(label="Message", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    mention_bot = forms.BooleanField(label="@mention the bot", required=False, initial=True)

    def __init__(self, *args: Any, place: Place, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = self.fields["member"]
        channels = self.fields["channel"]
        assert isinstance(members, forms.ChoiceField) and isinstance(channels, forms.ChoiceField)
        members.choices = [
            (m["id"], f"{m['name']} (moderator)" if m["moderator"] else m["name"]) for m in place.members
        ]
        channels.choices = [(c["id"], f"#{c['name']}") for c in place.channels]


def _server_or_404(request: HttpRequest) -> DiscordServer:
    server = sandbox_server_for(get_workspace_for(request))
    if server is None:
        raise Http404("No sandbox")
    return server


def _channel_of(place: Place, wanted: str | None) -> dict[str, str]:
    channel = place.channel(wanted or "") or (place.channels[0] if place.channels else None)
    if channel is None:
        raise Http404("No channel")
    return channel


def _shown(place: Place, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages as the page shows them: mentions by name, not id; a bot reply's buttons
    clickable as the member it answered (``asker``), the one Discord would show them to."""
    names = {m["id"]: m["name"] for m in place.members} | {SANDBOX_APPLICATION_ID: "Guildmind"}
    authors = {m["id"]: m["author"] for m in messages}

    def readable(match: re.Match[str]) -> str:
        return "@" + names.get(match.group(1), "someone")

    def asker(message: dict[str, Any]) -> dict[str, Any] | None:
        author = authors.get(message.get("reply_to") or "")
        return author if message["bot"] and author and place.member(author["id"]) else None

    return [{**m, "text": _MENTION.sub(readable, m["content"]), "asker": asker(m)} for m in messages]


@login_required
@require_GET
def sandbox(request: HttpRequest) -> HttpResponse:
    return _page(request, _server_or_404(request))


def _page(
    request: HttpRequest, server: DiscordServer, *, form: SandboxMessageForm | None = None, status: int = 200
) -> HttpResponse:
    client = SandboxClient(server.guild_id)
    try:
        place = client.place()
        channel = _channel_of(place, form.data.get("channel") if form else request.GET.get("channel"))
        messages = _shown(place, client.messages(channel["id"]))
    except SandboxUnavailable:
        context = {"server": server, "unavailable": UNAVAILABLE}
        return render(request, "discord/sandbox.html", context, status=503)
    by_name = {m["name"]: m for m in place.members}
    channels = {c["name"]: c for c in place.channels}
    examples = [
        {"member": by_name[who], "channel": channels[where], "text": text, "outcome": outcome}
        for who, where, text, outcome in EXAMPLES
        if who in by_name and where in channels
    ]
    context = {
        "server": server,
        "place": place,
        "channel": channel,
        # Not "messages": that is Django's messages framework, which the base template shows.
        "channel_messages": messages,
        "examples": examples,
        "form": form or SandboxMessageForm(place=place, initial={"channel": channel["id"]}),
        "messages_url": reverse("sandbox_messages") + f"?channel={channel['id']}",
    }
    return render(request, "discord/sandbox.html", context, status=status)


@login_required
@require_POST
def sandbox_post(request: HttpRequest) -> HttpResponse:
    server = _server_or_404(request)
    client = SandboxClient(server.guild_id)
    try:
        place = client.place()
    except SandboxUnavailable:
        return render(
            request, "discord/sandbox.html", {"server": server, "unavailable": UNAVAILABLE}, status=503
        )
    form = SandboxMessageForm(request.POST, place=place)
    if not form.is_valid():
        return _page(request, server, form=form, status=400)
    channel_id = form.cleaned_data["channel"]
    try:
        client.post(
            channel_id,
            form.cleaned_data["member"],
            form.cleaned_data["text"],
            mention_bot=form.cleaned_data["mention_bot"],
        )
    except SandboxUnavailable:
        return render(
            request, "discord/sandbox.html", {"server": server, "unavailable": UNAVAILABLE}, status=503
        )
    return redirect(reverse("sandbox") + f"?channel={channel_id}")


@login_required
@require_POST
def sandbox_click(request: HttpRequest) -> HttpResponse:
    """A member clicks a button of the bot's reply (👍/👎, "Want a person?"): the simulator
    sends the click to the bot as Discord would."""
    server = _server_or_404(request)
    client = SandboxClient(server.guild_id)
    fields = {name: request.POST.get(name, "") for name in ("channel", "message", "member", "custom_id")}
    if not all(fields.values()) or not fields["channel"].isdigit() or not fields["message"].isdigit():
        return HttpResponseBadRequest("channel, message, member and custom_id are needed")
    try:
        place = client.place()
        if place.channel(fields["channel"]) is None or place.member(fields["member"]) is None:
            raise Http404("No such channel or member")
        client.click(fields["channel"], fields["message"], fields["member"], fields["custom_id"])
    except SandboxRefused:
        return HttpResponseBadRequest("That message or button is no longer there.")
    except SandboxUnavailable:
        return render(
            request, "discord/sandbox.html", {"server": server, "unavailable": UNAVAILABLE}, status=503
        )
    return redirect(reverse("sandbox") + f"?channel={fields['channel']}")


@login_required
@require_GET
def sandbox_messages(request: HttpRequest) -> HttpResponse:
    """The channel's messages: an HTML fragment the page polls, or JSON (``?format=json``)."""
    server = _server_or_404(request)
    client = SandboxClient(server.guild_id)
    try:
        place = client.place()
        channel = place.channel(request.GET.get("channel") or "")
        if channel is None:
            raise Http404("No channel")
        messages = _shown(place, client.messages(channel["id"]))
    except SandboxUnavailable:
        return JsonResponse({"error": UNAVAILABLE}, status=503)
    if request.GET.get("format") == "json":
        return JsonResponse({"channel": channel, "messages": messages})
    return render(
        request, "discord/_sandbox_messages.html", {"channel_messages": messages, "channel": channel}
    )
