// Fails at start, before it ever listens.
process.exit(2);
