"""The table's stream, fanned out: one reader, one FIFO queue per consumer.

DynamoDB Streams serves a shard to no more than two readers at once (more are throttled,
and each Lambda event source mapping is one). ``SendOtpFunction`` reads the stream itself
(a code is awaited); ``TableStreamRouterFunction`` is the one other reader. For each record it
asks ``registry`` which consumers want it and sends it to each one's FIFO queue
(``router``); each consumer is an SQS-triggered function whose handler gets the same stream
records as before through ``queued``. A new consumer adds a registry entry and a queue,
never a reader.

Imports no domain: the registry's patterns are data, checked by tests against the domains'
own key builders and the template.
"""
