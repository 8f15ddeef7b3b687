"""Session-owning, picklable job functions `fn(engine, ...)`: what listeners, the console and the scheduler run."""
