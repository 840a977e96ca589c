// Runs but never listens (a service stuck at start).
setInterval(() => undefined, 1000);
