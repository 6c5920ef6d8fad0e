// The card step of an online order (see shop/payments/service.py for the flow).
(function () {
  const form = document.getElementById("pay-form");
  if (!form || typeof Stripe === "undefined") {
    const message = document.getElementById("pay-message");
    if (message) message.textContent = "Card payments couldn't load. Reload the page, or choose another way to pay.";
    return;
  }
  const stripe = Stripe(form.dataset.key);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  const button = document.getElementById("pay-button");
  const message = document.getElementById("pay-message");

  function say(text) { message.textContent = text; }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((data.error && data.error.message) || "The payment didn't go through. Please try again.");
    return data;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    say("Checking your card…");
    try {
      const setup = await stripe.confirmCardSetup(form.dataset.secret, {
        payment_method: { card: card, billing_details: { name: form.dataset.name } },
      });
      if (setup.error) throw new Error(setup.error.message || "Your card was declined. Try another card.");
      say("Paying…");
      let result = await post(form.dataset.chargeUrl, { setup_intent: setup.setupIntent.id });
      if (result.status === "requires_action") {
        say("Your bank wants to confirm it's you…");
        const confirmed = await stripe.confirmCardPayment(result.client_secret);
        if (confirmed.error) throw new Error(confirmed.error.message || "Your bank didn't confirm the payment.");
        result = await post(form.dataset.completeUrl, { payment_intent: confirmed.paymentIntent.id });
      }
      if (result.status === "succeeded" || result.status === "processing") {
        say("Paid. Taking you to your order…");
        window.location.assign(result.redirect);
        return;
      }
      throw new Error("The payment didn't go through. Please try again.");
    } catch (error) {
      say(error.message + " You can try again.");
      button.disabled = false;
    }
  });
})();
