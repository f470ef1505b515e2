from django import forms


class LoginForm(forms.Form):
    username = forms.CharField(
        label="Directory login",
        max_length=150,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        label="Password",
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class StepUpForm(forms.Form):
    password = forms.CharField(label="Password", max_length=1024, strip=False, widget=forms.PasswordInput)
    resume = forms.CharField(max_length=500)
    method = forms.ChoiceField(choices=[("post", "post"), ("get", "get")])
