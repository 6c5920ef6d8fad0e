// The card step of an online order, in one go (see shop/payments/service.py for the flow):
// the card becomes a PaymentMethod in Stripe.js, our server charges it, and 3-D Secure, if the
// bank wants it, is asked once, for this payment. What a shopper reads comes from our server
// (or its table of words, for what Stripe.js refuses before that), never from Stripe.
(function () {
  const form = document.getElementById("pay-form");
  const message = document.getElementById("pay-message");
  if (!form || typeof Stripe === "undefined") {
    if (message) message.textContent = "Card payments couldn't load. Reload the page, or choose another way to pay.";
    return;
  }
  const words = JSON.parse(form.dataset.words || "{}");
  const stripe = Stripe(form.dataset.key);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  const button = document.getElementById("pay-button");
  const cash = document.getElementById("pay-cash");
  const FAILED = "The payment didn't go through. Please try again.";
  let busy = false;

  function say(text) { message.textContent = text; }

  class Refused extends Error {
    constructor(text, code) { super(text); this.code = code; }
  }

  function wordsFor(error) {
    return (error && (words[error.decline_code] || words[error.code])) || words.default || FAILED;
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = data.error || {};
      throw new Refused(error.message || FAILED, error.code);
    }
    return data;
  }

  // While paying the button stays focusable (aria-disabled, not disabled): a shopper on a
  // screen reader keeps their place, and a second press does nothing.
  function working(on) {
    busy = on;
    if (on) button.setAttribute("aria-disabled", "true");
    else button.removeAttribute("aria-disabled");
    form.setAttribute("aria-busy", on ? "true" : "false");
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    working(true);
    say("Checking your card…");
    try {
      const made = await stripe.createPaymentMethod({
        type: "card", card: card, billing_details: { name: form.dataset.name },
      });
      if (made.error || !made.paymentMethod) throw new Refused(wordsFor(made.error), "card_invalid");
      say("Paying…");
      let result = await post(form.dataset.chargeUrl, { payment_method: made.paymentMethod.id });
      if (result.status === "requires_action") {
        say("Your bank wants to confirm it's you…");
        // Whatever the bank's page ends with, our server reads the payment from Stripe.
        await stripe.handleNextAction({ clientSecret: result.client_secret });
        result = await post(form.dataset.completeUrl, { payment_intent: result.payment_intent });
      }
      if (result.status === "succeeded" || result.status === "processing") {
        say("Paid. Taking you to your order…");
        window.location.assign(result.redirect);
        return;
      }
      throw new Refused(FAILED);
    } catch (error) {
      say(error instanceof Refused ? error.message : FAILED);
      if (cash && error.code === "card_declined") cash.classList.add("pay-cash--offered");
    }
    working(false);
    if (!document.activeElement || document.activeElement === document.body) button.focus();
  });
})();
