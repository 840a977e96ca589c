require('./serve.cjs')('API_PORT');
