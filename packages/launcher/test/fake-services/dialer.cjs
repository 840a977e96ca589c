require('./serve.cjs')('DIALER_PORT');
