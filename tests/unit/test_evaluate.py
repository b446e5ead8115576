from bot.trainer import evaluate


def figures(macro, pricing, stories=22, suite_passed=130, failed=()):
    return {"at": "now",
            "suite": {"passed": suite_passed, "total": 130, "failed": list(failed),
                      "categories": {"openings": [12 - (130 - suite_passed), 12], "ordinary": [15, 15]}},
            "holdout": {"macro_f1": macro, "accuracy": macro,
                                     "intents": {"ask_pricing": pricing, "greet": 1.0},
                                     "confusions": [{"intent": "ask_pricing", "predicted": "inform", "count": 2}]},
            "cross_validation": {"folds": 3, "macro_f1": 0.95, "intents": {"ask_pricing": 0.9, "greet": 1.0}},
            "stories": {"correct": stories, "total": 22}}


def test_a_planted_regression_is_reported_as_down_and_improvements_as_up():
    changes = evaluate.compare(figures(0.93, 0.95), figures(0.91, 0.80, stories=21))
    assert "DOWN: held-out macro F1 0.930 → 0.910" in changes
    assert "DOWN: held-out F1 of ask_pricing 0.950 → 0.800" in changes
    assert "DOWN: test stories passing 1.000 → 0.955" in changes
    assert not any("greet" in change for change in changes)
    suite = evaluate.compare(figures(0.93, 0.95), figures(0.93, 0.95, suite_passed=128, failed=["asks for a demo"]))
    assert "DOWN: conversation suite passing 1.000 → 0.985" in suite
    assert "DOWN: conversation suite, openings 1.000 → 0.833" in suite
    assert "DOWN: now failing in the conversation suite: asks for a demo" in suite
    assert evaluate.compare(figures(0.91, 0.80), figures(0.93, 0.95))[0] == "up: held-out macro F1 0.910 → 0.930"
    assert evaluate.compare(figures(0.93, 0.95), figures(0.93, 0.95)) == ["No score moved by more than 0.005."]
    assert evaluate.compare(None, figures(0.93, 0.95)) == ["First run: nothing to compare with."]


def test_the_report_states_scores_threshold_changes_and_confusions():
    text = evaluate.markdown(figures(0.91, 0.80), ["DOWN: something"], {"holdout_macro_f1": 0.9})
    assert "macro F1 **0.910** (CI fails below 0.90)" in text
    assert "- DOWN: something" in text and "| ask_pricing | 0.800 | 0.900 |" in text
    assert "| ask_pricing | inform | 2 |" in text and "intent_confusion_matrix.png" in text
    assert "Conversation suite (tests/e2e/visitors, the whole stack): 130 of 130 visitors pass" in text
    assert "| openings | 12 | 12 |" in text
