"""``glassnet playground``: watch a network learn in the browser, every number shown.

The page (``static/``) drives a real glassnet model trained on the server and
streamed over one WebSocket per tab. The modules, one job each: ``data`` (the
problems in the plane, the input features), ``config`` (settings and limits),
``engine`` (model, optimizer, penalty), ``session`` (one run: training, frames,
one-sample steps, gradient checks), ``trace`` (one sample, layer by layer),
``frames`` (heatmaps and parameters as bytes), ``upload`` (CSV points), ``export``
(the model file and the replay script), ``protocol`` (message validation),
``worker`` (a tab's training thread) and ``server`` (the Starlette app; needs the
``[playground]`` extra). Only ``server`` imports Starlette, and only when the app is
built or serves a request.
"""
