from webhooks.choices import WebhookEventState, WebhookTrigger


def test_the_trigger_wire_values_are_those_of_the_api_contract():
    assert list(WebhookTrigger.values) == ["created", "retry", "submit", "approved", "rejected", "updated", "delete"]


def test_the_event_states():
    assert list(WebhookEventState.values) == ["pending", "delivered", "failed"]
