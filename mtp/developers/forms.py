"""Forms: registering an application, the consent page, the device code page."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxLengthValidator
from oauth2_provider.forms import AllowForm
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.views.device import DeviceGrantForm

from mtp.developers.models import FLOWS, Application
from mtp.developers.webhook_secrets import set_new_secret

REDIRECT_URIS_MAX_LENGTH = 2000
CONSENT_FIELD_MAX_LENGTH = 2000


class ApplicationForm(forms.ModelForm):
    """What a developer says about their application; flows may be several."""

    flows = forms.MultipleChoiceField(
        choices=FLOWS,
        widget=forms.CheckboxSelectMultiple,
        help_text="Which OAuth flows the application may use. One application may allow several.",
    )

    class Meta:
        model = Application
        fields = ("name", "client_type", "redirect_uris", "webhook_url")
        labels = {
            "client_type": "Client type",
            "redirect_uris": "Redirect URIs",
            "webhook_url": "Webhook URL (optional)",
        }
        help_texts = {
            "client_type": "Confidential: a server that can keep a secret. "
            "Public: a desktop, mobile or browser app that cannot (it uses PKCE instead).",
            "redirect_uris": "One per line: https URIs; http only on 127.0.0.1, [::1] or "
            "localhost (any port); or a native app's own scheme such as app.mtp.desktop://app.",
            "webhook_url": "An https URL on the public Internet. When an import of a sequence "
            "this application created ends, this server POSTs a signed JSON event to it.",
        }
        widgets = {
            "client_type": forms.RadioSelect,
            "redirect_uris": forms.Textarea(attrs={"rows": 3, "autocapitalize": "none"}),
            "webhook_url": forms.URLInput(attrs={"autocapitalize": "none"}),
        }

    field_order = ["name", "client_type", "flows", "redirect_uris", "webhook_url"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True
        self.fields["client_type"].choices = Application.CLIENT_TYPES
        if self.instance.pk:
            self.initial["flows"] = sorted(self.instance.grant_types)
        # Set when saving makes a new client secret; the view shows it once.
        self.new_secret: str | None = None

        # The model's field is unbounded text; a few URIs fit well within this.
        self.fields["redirect_uris"].max_length = REDIRECT_URIS_MAX_LENGTH
        self.fields["redirect_uris"].validators.append(MaxLengthValidator(REDIRECT_URIS_MAX_LENGTH))

    def clean_redirect_uris(self) -> str:
        return " ".join(self.cleaned_data["redirect_uris"].split())

    def _post_clean(self) -> None:
        # The model's clean() needs the flows to check the redirect URIs against them.
        if "flows" in self.cleaned_data:
            self.instance.set_grant_types(self.cleaned_data["flows"])
        super()._post_clean()

    def add_error(self, field, error) -> None:
        # The model reports some problems on fields this form shows under another name.
        if field is None and hasattr(error, "error_dict"):
            rekeyed: dict = {}
            for name, messages in error.error_dict.items():
                if name in ("authorization_grant_type", "extra_grant_types"):
                    name = "flows"
                key = name if name in self.fields else NON_FIELD_ERRORS
                rekeyed.setdefault(key, []).extend(messages)
            error = ValidationError(rekeyed)
        super().add_error(field, error)

    def save(self, commit: bool = True) -> Application:
        application = super().save(commit=False)
        was_confidential = (
            self.instance.pk is not None
            and "client_type" not in self.changed_data
            and application.client_type == Application.CLIENT_CONFIDENTIAL
        )
        if application.client_type == Application.CLIENT_CONFIDENTIAL and not was_confidential:
            self.new_secret = application.client_secret = generate_client_secret()
            application.hash_client_secret = True
        if application.webhook_url and not application.webhook_secret_ciphertext:
            set_new_secret(application)
        if commit:
            application.save()
        return application


class ConsentForm(AllowForm):
    """DOT's consent form, also remembering whether the request named a redirect URI."""

    redirect_uri_given = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # DOT's hidden fields (state, scope, redirect_uri...) have no length limit of their own.
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and field.max_length is None:
                field.max_length = CONSENT_FIELD_MAX_LENGTH
                field.validators.append(MaxLengthValidator(CONSENT_FIELD_MAX_LENGTH))


class UserCodeForm(DeviceGrantForm):
    """The code a device shows, forgiving of case, spaces and dashes."""

    user_code = forms.CharField(
        max_length=20,
        label="Code",
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )

    def clean_user_code(self) -> str:
        code = self.cleaned_data["user_code"]
        self.cleaned_data["user_code"] = "".join(code.split()).replace("-", "").upper()
        return super().clean_user_code()
