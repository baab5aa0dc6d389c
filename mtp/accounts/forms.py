from django import forms
from django.contrib.auth.forms import PasswordChangeForm, UserCreationForm

from mtp.accounts.models import User
from mtp.developers.models import name_imitation_problem
from mtp.lib.lookalike import skeleton, visible_name_problem


class SignUpForm(UserCreationForm):
    # The model's length, not the form field's default of 320.
    email = forms.EmailField(
        required=True, max_length=254, help_text="Used only to reset your password."
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if problem := visible_name_problem(username):
            raise forms.ValidationError(problem)
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken.")
        # A name that looks like another's (оlivia with a Cyrillic о, say) could pass for it.
        if User.objects.filter(username_skeleton=skeleton(username)).exists():
            raise forms.ValidationError("That username looks like someone else's: choose another.")
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with that email address already exists.")
        return email


class ProfileForm(forms.ModelForm):
    """Display name and email. A new email address needs the password: it is where password
    reset links go, so a session left open must not be enough to take the account over."""

    current_password = forms.CharField(
        label="Your password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Needed only to change the email address.",
    )

    class Meta:
        model = User
        fields = ("display_name", "email", "import_failure_emails")
        help_texts = {"display_name": "Shown to others instead of your username. Optional."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.previous_email = self.instance.email

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if not email:
            raise forms.ValidationError("An email address is required.")
        taken = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists()
        if taken:
            raise forms.ValidationError("An account with that email address already exists.")
        return email

    def clean_display_name(self) -> str:
        display_name = self.cleaned_data["display_name"].strip()
        if problem := name_imitation_problem(display_name):
            raise forms.ValidationError(problem)
        return display_name

    @property
    def email_changed(self) -> bool:
        email = self.cleaned_data.get("email", "")
        return bool(email) and email.lower() != self.previous_email.lower()

    def clean(self):
        cleaned = super().clean()
        if self.email_changed and not self.instance.check_password(
            cleaned.get("current_password", "")
        ):
            self.add_error("current_password", "Give your password to change the email address.")
        return cleaned


class DeleteAccountForm(forms.Form):
    """Deleting an account asks for its password, so a session left open is not enough."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


class ChangePasswordForm(PasswordChangeForm):
    """Django's, with the choice to sign out every app at once (ticked: whoever learnt the old
    password may have authorized one)."""

    revoke_apps = forms.BooleanField(
        label="Also sign out every app you authorized",
        required=False,
        initial=True,
        help_text="Their access and refresh tokens stop working; authorize them again to use them.",
    )
