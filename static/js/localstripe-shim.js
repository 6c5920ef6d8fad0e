// localstripe only (the demo and the tests): pay.html loads this when STRIPE_API_BASE is set,
// never with real Stripe. localstripe's Stripe.js mock has an empty createPaymentMethod and no
// handleNextAction, and its server takes a publishable key only on a few paths (POST
// /v1/tokens among them, not /v1/payment_methods). So the card becomes a token's card (card_
// id), which Stripe's PaymentIntents take as a payment method, and the next action is the
// mock's own 3-D Secure page (confirmCardPayment on a PaymentIntent in requires_action).
// See docs/decisions.md, "Pay by card once".
(function () {
  const api = (document.currentScript.dataset.api || "").replace(/\/+$/, "");
  const mock = window.Stripe;
  if (typeof mock !== "function" || !api) return;

  window.Stripe = function (key) {
    const stripe = mock(key);

    stripe.createPaymentMethod = async function (data) {
      const element = data && data.card;
      const card = element && element.value && element.value.card;
      if (!card || !card.number) {
        return { error: { type: "validation_error", code: "incomplete_number" } };
      }
      const body = new URLSearchParams({ key: key, payment_user_agent: "localstripe-shim" });
      Object.keys(card).forEach((field) => body.append(`card[${field}]`, card[field]));
      try {
        const response = await fetch(`${api}/v1/tokens`, { method: "POST", body: body });
        const token = await response.json().catch(() => ({}));
        if (!response.ok || token.error || !token.card) {
          return { error: token.error || { type: "invalid_request_error" } };
        }
        return {
          paymentMethod: {
            id: token.card.id,
            object: "payment_method",
            type: "card",
            card: { brand: token.card.brand, last4: token.card.last4 },
          },
        };
      } catch (err) {
        return { error: { type: "api_connection_error" } };
      }
    };

    stripe.handleNextAction = async function (options) {
      return stripe.confirmCardPayment(options.clientSecret);
    };

    return stripe;
  };
})();
