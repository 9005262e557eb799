"""有奖举报: public tips with a tracking code, triage, verification, rewards and payouts, QR posters."""
