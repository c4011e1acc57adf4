"""A Microsoft Graph v1.0 subset over the directory: ``shapes`` renders directory objects as
Graph does (the admin API and ``app show`` use it too), ``odata`` reads ``$select``, ``$filter``,
``$top`` and paging, and ``api`` serves ``/v1.0/...`` to Graph-audience tokens."""
