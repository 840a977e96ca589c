require('./serve.cjs')('SANDBOX_LLM_PORT');
