"""The moderation log's filters."""

from __future__ import annotations

from django import forms

from moderation.models import ModerationEntry

MEMBER_FILTER_MAX = 100


class ModerationLogFilter(forms.Form):
    """The log's GET filters; each one is optional and an invalid one is ignored alone."""

    action = forms.ChoiceField(
        required=False,
        choices=[("", "All actions"), *ModerationEntry.Action.choices],
    )
    member = forms.CharField(
        required=False,
        max_length=MEMBER_FILTER_MAX,
        strip=True,
        widget=forms.TextInput(attrs={"placeholder": "Member name or id"}),
    )
