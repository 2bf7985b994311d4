from django import forms
from django.conf import settings

from submissions.choices import IdType

from .choices import DocumentSide


class RegisteredImageForm(forms.Form):
    """Add a specimen or a template: the document kind and the image; hashes/features are derived."""

    country = forms.CharField(max_length=3, help_text="Issuing country, ISO 3166-1 alpha-3 (e.g. FRA).")
    id_type = forms.ChoiceField(choices=IdType.choices)
    side = forms.ChoiceField(choices=DocumentSide.choices, initial=DocumentSide.FRONT)
    image = forms.FileField(help_text="JPEG or PNG.")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_image(self):
        upload = self.cleaned_data["image"]
        if upload.size > settings.KYC_MAX_IMAGE_BYTES:
            raise forms.ValidationError(f"The file is larger than {settings.KYC_MAX_IMAGE_BYTES} bytes.")
        upload.seek(0)
        return upload.read()


class InvalidatedDocumentForm(forms.Form):
    country = forms.CharField(max_length=3, help_text="Issuing country, ISO 3166-1 alpha-3.")
    number_or_prefix = forms.CharField(
        max_length=80, help_text="The document number; end with * for a series (e.g. AB12*). Case, spaces "
        "and hyphens are ignored.")
    id_type = forms.ChoiceField(choices=[("", "Every type"), *IdType.choices], required=False)
    reason = forms.CharField(max_length=255)
    source = forms.CharField(max_length=255, required=False, help_text="Where the entry comes from.")


CSV_MAX_BYTES = 10 * 1024 * 1024


class InvalidatedDocumentCsvForm(forms.Form):
    file = forms.FileField(help_text="CSV: country,number_or_prefix,reason[,id_type]; a header row is optional.")
    source = forms.CharField(max_length=200, required=False,
                             help_text="Where the list comes from (default: the file name).")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > CSV_MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {CSV_MAX_BYTES // (1024 * 1024)} MB: split it.")
        return upload
