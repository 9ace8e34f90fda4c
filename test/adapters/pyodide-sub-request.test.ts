/**
 * The worker's sub-call request as the host parses it (`parseSubRequest`): JSON for a batch, and the
 * JSON-free form one `llm_query` sends (`<model length>:<model><prompt>`, built by pyodide_helpers.py).
 * The sandbox is not trusted: malformed requests throw (they become per-call errors, never a crash).
 */
import { parseSubRequest } from '../../lambdas/adapters/pyodide/sub-calls';

describe('parseSubRequest', () => {
  test('one prompt without JSON: the model by its length, the prompt is the rest, whatever it contains', () => {
    expect(parseSubRequest('4:fakehello')).toEqual({ model: 'fake', prompts: ['hello'] });
    expect(parseSubRequest('0:')).toEqual({ model: '', prompts: [''] });
    const prompt = '{"prompts": ["x"]} 12:ab ✓ 𝄞 \u0000\n';
    expect(parseSubRequest(`6:m:1 ✓\u00e9${prompt}`)).toEqual({ model: 'm:1 ✓\u00e9', prompts: [prompt] });
  });

  test('a batch as JSON, as before', () => {
    expect(parseSubRequest(JSON.stringify({ prompts: ['a', 2], model: 'm' }))).toEqual({ model: 'm', prompts: ['a', '2'] });
  });

  test.each([
    ['no colon', 'fakehello'],
    ['model longer than the payload', '9:fake'],
    ['not a number', 'x:fake'],
    ['a sign', '-1:fake'],
    ['spaces', ' 4:fakehello'],
    ['empty', ''],
    ['bad JSON', '{"prompts": ['],
  ])('malformed (%s) throws', (_name, payload) => {
    expect(() => parseSubRequest(payload)).toThrow();
  });
});
