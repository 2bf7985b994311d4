"""Reviewer forms. They check what a person can get wrong on the page; `review_decide` re-checks
everything (codes, comment, edit formats) and is the authority."""

from django import forms

from submissions.choices import IdType
from submissions.codes import Step1ErrorCode, code_message
from submissions.inputs import text_has_control
from submissions.models import Submission

from .choices import Decision
from .codes import REJECT_CODES_REVIEWER, RejectCode, ReviewErrorCode
from .services import REVIEW_EDITABLE_FIELDS, review_field_value

REJECT_CODE_CHOICES = [(code.value, f"{code.value} — {code.label}") for code in REJECT_CODES_REVIEWER]


class RejectForm(forms.Form):
    codes = forms.MultipleChoiceField(
        label="Reject codes", choices=REJECT_CODE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    comment = forms.CharField(
        label="Comment for the applicant",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown to the applicant; required with the code 'other'.",
    )
    note = forms.CharField(
        label="Internal note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Seen by reviewers only.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # One editable client-facing message per code, prefilled with the table's message.
        for code in REJECT_CODES_REVIEWER:
            if code == RejectCode.OTHER:
                continue
            self.fields[f"message_{code.value}"] = forms.CharField(
                label=f"Message for {code.value}", required=False, initial=code_message(code),
                widget=forms.Textarea(attrs={"rows": 2, "data-code": code.value, "class": "kyc-code-message"}),
            )

    @property
    def message_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("message_")]

    def client_messages(self) -> dict[str, str]:
        """Reject code -> the message the reviewer left for the applicant (the service drops unedited ones)."""
        return {name.removeprefix("message_"): (self.cleaned_data.get(name) or "")
                for name in self.fields if name.startswith("message_")}

    def clean_reject(self, cleaned_data: dict) -> None:
        """The rules of a rejection: at least one code, and a comment with 'other'."""
        codes = cleaned_data.get("codes") or []
        if not codes and "codes" not in self.errors:
            self.add_error("codes", str(ReviewErrorCode.REJECT_CODE_REQUIRED.label))
        if RejectCode.OTHER.value in codes and not (cleaned_data.get("comment") or "").strip():
            self.add_error("comment", str(ReviewErrorCode.COMMENT_REQUIRED.label))

    def clean_controls(self, cleaned_data: dict) -> None:
        """The input-boundary rule of every entry point: no control character (textareas keep line breaks)."""
        for name, value in list(cleaned_data.items()):  # add_error drops the field from cleaned_data
            multiline = isinstance(self.fields[name].widget, forms.Textarea)
            if isinstance(value, str) and text_has_control(value, multiline=multiline):
                self.add_error(name, code_message(Step1ErrorCode.INVALID_INPUT_FORMAT, parameters=name))

    def clean(self) -> dict:
        cleaned_data = super().clean()
        self.clean_controls(cleaned_data)
        self.clean_reject(cleaned_data)
        return cleaned_data


def _edit_field(key: str) -> forms.Field:
    label = REVIEW_EDITABLE_FIELDS[key].label
    if key == "id_type":
        return forms.ChoiceField(label=label, required=False, choices=[("", "—"), *IdType.choices])
    if key.startswith("date_"):
        # A native date input posts YYYY-MM-DD, the format the service stores.
        return forms.CharField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))
    if key == "issuing_country":
        return forms.CharField(label=label, required=False, max_length=3, help_text="ISO 3166-1 alpha-3, e.g. POL.")
    return forms.CharField(label=label, required=False, max_length=255)


class DecisionForm(RejectForm):
    """Approve or reject one submission, optionally correcting its data first.

    The edit fields are prefilled from the submission; `edits()` returns only the changed ones.
    """

    EDIT_KEYS: tuple[str, ...] = tuple(REVIEW_EDITABLE_FIELDS)

    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)

    field_order = ["decision", "codes", "comment", "note"]

    def __init__(self, *args, submission: Submission, **kwargs) -> None:
        initial = {key: review_field_value(submission, key) or "" for key in self.EDIT_KEYS}
        kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        for key in self.EDIT_KEYS:
            self.fields[key] = _edit_field(key)

    def clean_issuing_country(self) -> str:
        return self.cleaned_data["issuing_country"].strip().upper()

    def clean(self) -> dict:
        cleaned_data = forms.Form.clean(self)
        self.clean_controls(cleaned_data)
        if cleaned_data.get("decision") == Decision.REJECT:
            self.clean_reject(cleaned_data)
        return cleaned_data

    @property
    def decision_fields(self) -> list[forms.BoundField]:
        return [self[key] for key in ("decision", "codes", "comment", "note")]

    @property
    def edit_fields(self) -> list[forms.BoundField]:
        return [self[key] for key in self.EDIT_KEYS]

    def edits(self) -> dict[str, str]:
        """The edit fields whose value differs from the submission's, as the service takes them."""
        changed = {}
        for key in self.EDIT_KEYS:
            value = (self.cleaned_data.get(key) or "").strip()
            if value != str(self.initial.get(key) or "").strip():
                changed[key] = value
        return changed
