require('./serve.cjs')('SIM_PORT');
