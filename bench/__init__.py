"""`make bench`: the app's own code paths against plain pandas, with time and peak memory."""
