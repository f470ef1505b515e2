import re
import unicodedata

from django import forms

# Ticket ids from the usual trackers: INC0012345, SUP-1234, #4711, CHG/2026/17.
TICKET_PATTERN = re.compile(r"^[A-Za-z0-9#][A-Za-z0-9._#/-]{1,49}$")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# Other control characters, format characters (zero-width, direction overrides), separators and
# unassigned code points: invisible on screen, so a value holding one cannot be checked by eye.
INVISIBLE_CATEGORIES = {"Cc", "Cf", "Co", "Cn", "Zl", "Zp"}


class JustificationForm(forms.Form):
    """Why a sensitive action happens. Required when the grant or the tenant says so."""

    ticket = forms.CharField(label="Ticket", max_length=50, required=False)
    reason = forms.CharField(
        label="Reason", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, required: bool = False, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.required = required
        self.fields["ticket"].required = required
        self.fields["reason"].required = required

    def clean_ticket(self) -> str:
        ticket = self.cleaned_data["ticket"].strip()
        if ticket and not TICKET_PATTERN.fullmatch(ticket):
            raise forms.ValidationError(
                "Use the ticket id as your tracker shows it, e.g. INC0012345 or SUP-1234."
            )
        return ticket

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if reason and len(reason) < 10:
            raise forms.ValidationError("Say in a few words why (at least 10 characters).")
        return reason


class UpdateValueForm(JustificationForm):
    """A value the engineer types after an on-site change. Never echoed back, never stored."""

    value = forms.CharField(label="New value", max_length=4096, strip=False, widget=forms.PasswordInput)
    confirm = forms.CharField(label="Type it again", max_length=4096, strip=False, widget=forms.PasswordInput)
    expected_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def clean_value(self) -> str:
        value = self.cleaned_data["value"]
        if not value.strip():
            raise forms.ValidationError("The new value cannot be empty or only spaces.")
        if value != value.strip():
            raise forms.ValidationError(
                "The value starts or ends with a space; remove it (or it will not match)."
            )
        if CONTROL_CHARACTERS.search(value):
            raise forms.ValidationError(
                "The value contains control characters (line breaks, tabs); remove them."
            )
        invisible = [char for char in value if unicodedata.category(char) in INVISIBLE_CATEGORIES]
        if invisible:
            names = ", ".join(sorted({f"U+{ord(char):04X}" for char in invisible}))
            raise forms.ValidationError(f"The value contains invisible characters ({names}); type it again.")
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("value") and cleaned.get("value") != self.data.get("confirm"):
            self.add_error("confirm", "The two entries do not match.")
        return cleaned
