"""Dashboard forms."""

from __future__ import annotations

from django import forms

MAX_QUESTION_LENGTH = 2000


class PlaygroundForm(forms.Form):
    """A question asked the way a Discord member would ask it."""

    question = forms.CharField(
        max_length=MAX_QUESTION_LENGTH,
        strip=True,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": "Ask a question as a member of your server would…",
                "autofocus": True,
            }
        ),
    )
