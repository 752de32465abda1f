"""Qualitative indicators: learning effects, why companies chose, one coherent ecosystem — written by the
coordinator per case and per half-year, reviewed for identities before the ministry sees them."""
